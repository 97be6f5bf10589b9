import { z } from 'zod';
import { SignInResponse } from './identity.js';

export const TOTPEnrollResponse = z.object({
  secret: z.string(),
  url: z.string(),
  issuer: z.string(),
  account: z.string(),
});
export type TOTPEnrollResponse = z.infer<typeof TOTPEnrollResponse>;

/**
 * A TOTP or backup code, with the `mfa_token` of a sign-in that answered `mfa_required` (required on
 * `/totp/challenge`; on `/totp/verify` it turns enrolment confirmation into a challenge answer).
 */
export const TOTPCodeRequest = z.object({
  mfa_token: z.string().optional(),
  code: z.string(),
  /** With `mfa_token`: remember this device for 30 days, so its next sign-ins skip the code. */
  trust_device: z.boolean().optional(),
});
export type TOTPCodeRequest = z.infer<typeof TOTPCodeRequest>;
export const TOTPVerifyResponse = z.union([
  z.object({ enabled: z.literal(true), backup_codes: z.array(z.string()) }),
  z.object({ verified: z.literal(true) }),
  SignInResponse,
]);
export type TOTPVerifyResponse = z.infer<typeof TOTPVerifyResponse>;

export const TOTPDisableRequest = z.object({ code: z.string() });
export type TOTPDisableRequest = z.infer<typeof TOTPDisableRequest>;
export const TOTPDisableResponse = z.object({ disabled: z.literal(true) });
export type TOTPDisableResponse = z.infer<typeof TOTPDisableResponse>;
export const BackupCodesResponse = z.object({ codes: z.array(z.string()) });
export type BackupCodesResponse = z.infer<typeof BackupCodesResponse>;
