import { z } from 'zod';
import { AuditPage, AuditQuery } from './audit.js';

/** A user as the deployment admin's list shows them; `created_at` in seconds since the epoch. */
export const ListedUser = z.object({
  user_id: z.string(),
  /** Null for a social account whose provider shared no address. */
  email: z.string().nullable(),
  email_verified: z.boolean(),
  display_name: z.string().nullable(),
  created_at: z.number(),
  disabled: z.boolean(),
});
export type ListedUser = z.infer<typeof ListedUser>;

export const UserListQuery = z.object({
  q: z.string().max(320).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
  cursor: z.string().max(400).optional(),
});
export type UserListQuery = z.infer<typeof UserListQuery>;
export const UserPage = z.object({ users: z.array(ListedUser), next_cursor: z.string().optional() });
export type UserPage = z.infer<typeof UserPage>;

export const SetUserDisabledResponse = z.object({
  user_id: z.string(),
  disabled: z.boolean(),
  revoked_count: z.number(),
});
export type SetUserDisabledResponse = z.infer<typeof SetUserDisabledResponse>;

export const DeploymentAuditQuery = AuditQuery;
export type DeploymentAuditQuery = AuditQuery;
export const DeploymentAuditPage = AuditPage;
export type DeploymentAuditPage = AuditPage;
