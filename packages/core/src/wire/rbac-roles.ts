import { z } from 'zod';

/** Bare archetype and capability names mean the app's own. */
export const GrantRoleRequest = z.object({
  email: z.string(),
  app_id: z.string(),
  archetype: z.string(),
  capabilities: z.array(z.string()).max(200).optional(),
});
export type GrantRoleRequest = z.infer<typeof GrantRoleRequest>;
export const GrantRoleResponse = z.object({
  email_hash: z.string(),
  app_id: z.string(),
  archetype: z.string(),
});
export type GrantRoleResponse = z.infer<typeof GrantRoleResponse>;

/** A grant; `email` only where the server still knows it, `granted_at` in milliseconds. */
export const Grant = z.object({
  email_hash: z.string(),
  email: z.string().optional(),
  app_id: z.string(),
  archetype: z.string(),
  capabilities: z.array(z.string()).optional(),
  granted_at: z.number(),
  granted_by: z.string(),
});
export type Grant = z.infer<typeof Grant>;
export const ListRolesQuery = z.object({ app_id: z.string().optional() });
export type ListRolesQuery = z.infer<typeof ListRolesQuery>;
export const GrantList = z.object({ roles: z.array(Grant) });
export type GrantList = z.infer<typeof GrantList>;
export const RevokeRoleResponse = z.object({
  app_id: z.string(),
  email_hash: z.string(),
  revoked: z.literal(true),
});
export type RevokeRoleResponse = z.infer<typeof RevokeRoleResponse>;
