import { z } from 'zod';

/** `app_id` is checked by the server itself (invalid_app_id, app_not_found). */
export const TokenRequest = z.object({ app_id: z.string() });
export type TokenRequest = z.infer<typeof TokenRequest>;
/** A 30-second EdDSA JWT; `expires_at` in milliseconds. */
export const TokenResponse = z.object({
  scoped_token: z.string(),
  ttl: z.literal(30),
  expires_at: z.number(),
});
export type TokenResponse = z.infer<typeof TokenResponse>;

export const WhoamiResponse = z.object({
  email: z.string(),
  org_id: z.string(),
  archetype: z.string().nullable(),
  session_expires_at: z.number(),
});
export type WhoamiResponse = z.infer<typeof WhoamiResponse>;

/** `csrf` is the hosted page's token, for a cookie-authenticated form post. */
export const BootstrapRequest = z.object({ csrf: z.string().max(100).optional() });
export type BootstrapRequest = z.infer<typeof BootstrapRequest>;
export const BootstrapResponse = z.object({ email: z.string(), archetype: z.literal('pylon-admin') });
export type BootstrapResponse = z.infer<typeof BootstrapResponse>;
