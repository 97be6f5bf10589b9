import { z } from 'zod';

/**
 * `GET /api/auth/session`: the caller's session and account in one answer. `*_at` in seconds since
 * the epoch; `authenticated_at` is when the holder last signed in (a refresh keeps it), null for a
 * session older than the server's record of it.
 */
export const CurrentSessionResponse = z.object({
  session: z.object({
    id: z.string(),
    token_prefix: z.string(),
    kind: z.string(),
    device: z.string().nullable(),
    ip: z.string().nullable(),
    active_org: z.string().nullable(),
    created_at: z.number(),
    last_seen_at: z.number(),
    expires_at: z.number(),
    authenticated_at: z.number().nullable(),
  }),
  user: z.object({
    id: z.string(),
    email: z.string().nullable(),
    emailVerified: z.boolean(),
    displayName: z.string().nullable(),
    isGuest: z.boolean(),
    hasPassword: z.boolean(),
    created_at: z.number(),
  }),
});
export type CurrentSessionResponse = z.infer<typeof CurrentSessionResponse>;

export const EmailChangeRequest = z.object({ newEmail: z.string() });
export type EmailChangeRequest = z.infer<typeof EmailChangeRequest>;
/** The same answer whether or not the address is free (no account enumeration). */
export const EmailChangeResponse = z.object({
  sent: z.literal(true),
  newEmail: z.string(),
  dev_code: z.string().optional(),
});
export type EmailChangeResponse = z.infer<typeof EmailChangeResponse>;
export const EmailChangeVerifyRequest = z.object({ code: z.string() });
export type EmailChangeVerifyRequest = z.infer<typeof EmailChangeVerifyRequest>;
export const EmailChangeVerifyResponse = z.object({ changed: z.literal(true), email: z.string() });
export type EmailChangeVerifyResponse = z.infer<typeof EmailChangeVerifyResponse>;

/** Optional re-authentication in the body: the current password, when the sign-in is older than 5 minutes. */
export const DeleteAccountRequest = z.object({ password: z.string().max(1024).optional() });
export type DeleteAccountRequest = z.infer<typeof DeleteAccountRequest>;
export const DeleteAccountResponse = z.object({ deleted: z.literal(true) });
export type DeleteAccountResponse = z.infer<typeof DeleteAccountResponse>;

/** One outside identity linked to the caller's account; `created_at` in seconds. */
export const LinkedAccount = z.object({
  provider: z.string(),
  subject: z.string(),
  email: z.string().nullable(),
  created_at: z.number(),
});
export type LinkedAccount = z.infer<typeof LinkedAccount>;
export const LinkedAccountList = z.array(LinkedAccount);
export type LinkedAccountList = z.infer<typeof LinkedAccountList>;
export const UnlinkResponse = z.object({ unlinked: z.literal(true) });
export type UnlinkResponse = z.infer<typeof UnlinkResponse>;
