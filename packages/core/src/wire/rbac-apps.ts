import { z } from 'zod';

/** An app registered in an org; `created_at` in milliseconds, like every time on the RBAC surface. */
export const AppSummary = z.object({
  app_id: z.string(),
  name: z.string(),
  owner: z.string(),
  description: z.string().optional(),
  status: z.enum(['active', 'disabled']),
  created_at: z.number(),
  /** The MCP server URL (RFC 8707 resource) the app answers for, when it has one. */
  resource: z.string().optional(),
});
export type AppSummary = z.infer<typeof AppSummary>;
export const AppList = z.object({ apps: z.array(AppSummary) });
export type AppList = z.infer<typeof AppList>;

/** `name` is the app id: a slug the server checks itself (invalid_app_id). */
export const RegisterAppRequest = z.object({
  name: z.string(),
  owner: z.string().min(1).max(320),
  description: z.string().max(1000).optional(),
  /** An MCP server's URL: OAuth tokens requested for it (RFC 8707 `resource`) are this app's. */
  resource: z.string().max(2048).optional(),
});
export type RegisterAppRequest = z.infer<typeof RegisterAppRequest>;
/** The app token is in this answer only. */
export const RegisterAppResponse = z.object({ app_id: z.string(), app_token: z.string() });
export type RegisterAppResponse = z.infer<typeof RegisterAppResponse>;
export const DisableAppResponse = z.object({ app_id: z.string(), status: z.literal('disabled') });
export type DisableAppResponse = z.infer<typeof DisableAppResponse>;
export const RotateAppTokenResponse = z.object({
  app_id: z.string(),
  app_token: z.string(),
  rotated_at: z.number(),
});
export type RotateAppTokenResponse = z.infer<typeof RotateAppTokenResponse>;
/** `PATCH /apps/:appId`: set (or with null, remove) the app's resource URL. */
export const UpdateAppRequest = z.object({
  resource: z.string().max(2048).nullable().optional(),
  description: z.string().max(1000).optional(),
});
export type UpdateAppRequest = z.infer<typeof UpdateAppRequest>;
