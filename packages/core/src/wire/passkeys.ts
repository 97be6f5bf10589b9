import { z } from 'zod';

/**
 * The browser's answers as `PublicKeyCredential.toJSON()` gives them (WebAuthn L3 §5.1.8,
 * RegistrationResponseJSON / AuthenticationResponseJSON); the server checks the signed parts.
 */
const Base64URL = z
  .string()
  .min(1)
  .max(16_384)
  .regex(/^[A-Za-z0-9_-]+$/);
const ClientExtensionResults = z.record(z.string(), z.unknown());

export const PasskeyRegistrationCredential = z.object({
  id: Base64URL,
  rawId: Base64URL,
  type: z.literal('public-key'),
  response: z.object({
    clientDataJSON: Base64URL,
    attestationObject: Base64URL,
    transports: z.array(z.string().max(32)).max(10).optional(),
  }),
  authenticatorAttachment: z.string().max(32).optional(),
  clientExtensionResults: ClientExtensionResults.default({}),
});

export const PasskeyAuthenticationCredential = z.object({
  id: Base64URL,
  rawId: Base64URL,
  type: z.literal('public-key'),
  response: z.object({
    clientDataJSON: Base64URL,
    authenticatorData: Base64URL,
    signature: Base64URL,
    userHandle: Base64URL.optional(),
  }),
  authenticatorAttachment: z.string().max(32).optional(),
  clientExtensionResults: ClientExtensionResults.default({}),
});

/** `name` labels the passkey in the list ("Passkey" when absent). */
export const PasskeyRegisterVerifyRequest = z.object({
  credential: PasskeyRegistrationCredential,
  name: z.string().min(1).max(100).optional(),
});
export type PasskeyRegisterVerifyRequest = z.infer<typeof PasskeyRegisterVerifyRequest>;

/** With `email`, the options list that account's passkeys; without, any discoverable one may answer. */
export const PasskeyLoginOptionsRequest = z.object({ email: z.string().max(320).optional() });
export type PasskeyLoginOptionsRequest = z.infer<typeof PasskeyLoginOptionsRequest>;

export const PasskeyLoginVerifyRequest = z.object({ credential: PasskeyAuthenticationCredential });
export type PasskeyLoginVerifyRequest = z.infer<typeof PasskeyLoginVerifyRequest>;

/** The options to hand to `PublicKeyCredential.parseCreationOptionsFromJSON` / `…RequestOptionsFromJSON`. */
export const PasskeyOptionsResponse = z.object({ options: z.record(z.string(), z.unknown()) });
export type PasskeyOptionsResponse = z.infer<typeof PasskeyOptionsResponse>;

/** A passkey as listed; `*_at` in seconds since the epoch. */
export const PasskeySummary = z.object({
  id: z.string(),
  name: z.string(),
  transports: z.array(z.string()),
  created_at: z.number(),
  last_used_at: z.number().nullable(),
});
export type PasskeySummary = z.infer<typeof PasskeySummary>;
export const PasskeyList = z.array(PasskeySummary);
export type PasskeyList = z.infer<typeof PasskeyList>;

export const PasskeyRenameRequest = z.object({ name: z.string().min(1).max(100) });
export type PasskeyRenameRequest = z.infer<typeof PasskeyRenameRequest>;

export const PasskeyRemovedResponse = z.object({ id: z.string(), removed: z.literal(true) });
export type PasskeyRemovedResponse = z.infer<typeof PasskeyRemovedResponse>;
