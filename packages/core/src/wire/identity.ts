import { z } from 'zod';

// Identity requests name their fields as strings, but the server reads email, code and password
// itself so that a missing or malformed one answers MISSING_EMAIL / INVALID_EMAIL / MISSING_CODE /
// WEAK_PASSWORD rather than VALIDATION_FAILED; these schemas are what a client sends.

/** A new session. `expires_at` in seconds since the epoch, like every `*_at` on `/api/auth/*`. */
export const SignInResponse = z.object({
  token: z.string(),
  user_id: z.string(),
  expires_at: z.number().int(),
});
export type SignInResponse = z.infer<typeof SignInResponse>;

/** A first factor accepted for an account with TOTP: finish with `POST /totp/challenge`. */
export const MFARequiredResponse = z.object({ mfa_required: z.literal(true), mfa_token: z.string() });
export type MFARequiredResponse = z.infer<typeof MFARequiredResponse>;

/** `dev_code` only in development mode with no mailer configured. */
export const CodeSentResponse = z.object({
  sent: z.literal(true),
  email: z.string(),
  dev_code: z.string().optional(),
});
export type CodeSentResponse = z.infer<typeof CodeSentResponse>;

/** The token from the captcha widget; required where PYLON_CAPTCHA_PROVIDER is set. */
const captchaToken = z.string().max(4096).optional();

export const MagicSendRequest = z.object({ email: z.string(), captchaToken });
export type MagicSendRequest = z.infer<typeof MagicSendRequest>;
export const MagicSendResponse = CodeSentResponse;
export type MagicSendResponse = CodeSentResponse;

export const MagicVerifyRequest = z.object({ email: z.string(), code: z.string() });
export type MagicVerifyRequest = z.infer<typeof MagicVerifyRequest>;

export const PasswordRegisterRequest = z.object({
  email: z.string(),
  password: z.string(),
  displayName: z.string().max(200).optional(),
  captchaToken,
});
export type PasswordRegisterRequest = z.infer<typeof PasswordRegisterRequest>;

export const PasswordLoginRequest = z.object({ email: z.string(), password: z.string() });
export type PasswordLoginRequest = z.infer<typeof PasswordLoginRequest>;

export const PasswordChangeRequest = z.object({ currentPassword: z.string(), newPassword: z.string() });
export type PasswordChangeRequest = z.infer<typeof PasswordChangeRequest>;
export const PasswordChangeResponse = z.object({ changed: z.literal(true), revoked_count: z.number() });
export type PasswordChangeResponse = z.infer<typeof PasswordChangeResponse>;

export const PasswordResetRequest = z.object({ email: z.string(), captchaToken });
export type PasswordResetRequest = z.infer<typeof PasswordResetRequest>;
export const PasswordResetRequestResponse = z.object({ sent: z.literal(true), email: z.string() });
export type PasswordResetRequestResponse = z.infer<typeof PasswordResetRequestResponse>;

export const PasswordResetCompleteRequest = z.object({ token: z.string(), newPassword: z.string() });
export type PasswordResetCompleteRequest = z.infer<typeof PasswordResetCompleteRequest>;
export const PasswordResetCompleteResponse = z.object({ reset: z.literal(true), revoked_count: z.number() });
export type PasswordResetCompleteResponse = z.infer<typeof PasswordResetCompleteResponse>;

export const SendVerificationResponse = CodeSentResponse;
export type SendVerificationResponse = CodeSentResponse;
export const EmailVerifyRequest = z.object({ code: z.string() });
export type EmailVerifyRequest = z.infer<typeof EmailVerifyRequest>;
/** `emailVerified` in seconds since the epoch. */
export const EmailVerifyResponse = z.object({ verified: z.literal(true), emailVerified: z.number() });
export type EmailVerifyResponse = z.infer<typeof EmailVerifyResponse>;

export const GuestResponse = z.object({
  token: z.string(),
  user_id: z.string(),
  expires_at: z.number(),
  guest: z.literal(true),
});
export type GuestResponse = z.infer<typeof GuestResponse>;
export const GuestUpgradeRequest = z.object({ user_id: z.string().min(1), email: z.string() });
export type GuestUpgradeRequest = z.infer<typeof GuestUpgradeRequest>;
export const GuestUpgradeResponse = z.object({
  user_id: z.string(),
  email: z.string(),
  guest: z.literal(false),
});
export type GuestUpgradeResponse = z.infer<typeof GuestUpgradeResponse>;

/** The caller's AuthContext; `userId` null when anonymous (an answer, not a 401). */
export const MeResponse = z.object({
  userId: z.string().nullable(),
  email: z.string().nullable(),
  emailVerified: z.boolean(),
  isAdmin: z.boolean(),
  isGuest: z.boolean(),
  roles: z.array(z.string()),
  tenantId: z.string().nullable(),
  authMethod: z.string(),
});
export type MeResponse = z.infer<typeof MeResponse>;

export const OAuthProvidersResponse = z.array(z.object({ provider: z.string(), auth_url: z.string() }));
export type OAuthProvidersResponse = z.infer<typeof OAuthProvidersResponse>;
export const OAuthLoginQuery = z.object({
  callback: z.string().max(2048).optional(),
  redirect: z.enum(['1', '0', 'true', 'false']).optional(),
  /** Link the provider to the signed-in caller's account instead of signing in. */
  link: z.enum(['1', '0', 'true', 'false']).optional(),
});
export type OAuthLoginQuery = z.infer<typeof OAuthLoginQuery>;
/** A callback that finished a link (`/login/:provider?link=1`) without a callback URL. */
export const OAuthLinkResponse = z.object({ linked: z.literal(true), provider: z.string() });
export type OAuthLinkResponse = z.infer<typeof OAuthLinkResponse>;
export const OAuthLoginResponse = z.object({ redirect: z.string(), state: z.string() });
export type OAuthLoginResponse = z.infer<typeof OAuthLoginResponse>;
/** What a provider sends back (query, or a form post with `response_mode=form_post`). */
export const OAuthCallbackParams = z.object({
  code: z.string().max(4096).optional(),
  state: z.string().max(512).optional(),
  error: z.string().max(256).optional(),
});
export type OAuthCallbackParams = z.infer<typeof OAuthCallbackParams>;
