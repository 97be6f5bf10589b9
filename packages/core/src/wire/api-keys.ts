import { z } from 'zod';
import { isPlainDisplayName, PLAIN_DISPLAY_NAME_MESSAGE } from '../display-text.js';
import { splitNamespacedName } from '../schema/namespace.js';

/**
 * `name` is shown in lists and the audit log: no control, format or bidi characters. Each scope is
 * a capability name, `<appId>:<name>` (a key scoped to anything else could do nothing, silently).
 * `expires_at` in seconds since the epoch, in the future (at most ten years ahead: checked at
 * creation).
 */
export const CreateAPIKeyRequest = z.object({
  name: z.string().max(200).refine(isPlainDisplayName, `name ${PLAIN_DISPLAY_NAME_MESSAGE}`).optional(),
  scopes: z
    .array(
      z
        .string()
        .max(200)
        .refine(
          (scope) => splitNamespacedName(scope) !== undefined,
          'each scope is a capability name, <appId>:<name> (e.g. notes:note.read)',
        ),
    )
    .max(100)
    .optional(),
  expires_at: z.number().int().positive().optional(),
});
export type CreateAPIKeyRequest = z.infer<typeof CreateAPIKeyRequest>;

/** An API key as listed (never the secret); `*_at` in seconds since the epoch. */
export const APIKeySummary = z.object({
  id: z.string(),
  prefix: z.string(),
  name: z.string().nullable(),
  scopes: z.array(z.string()),
  expires_at: z.number().nullable(),
  created_at: z.number(),
  last_used_at: z.number().nullable(),
});
export type APIKeySummary = z.infer<typeof APIKeySummary>;
export const APIKeyList = z.array(APIKeySummary);
export type APIKeyList = z.infer<typeof APIKeyList>;
/** The one answer that shows `key`. */
export const CreateAPIKeyResponse = APIKeySummary.omit({ last_used_at: true }).extend({ key: z.string() });
export type CreateAPIKeyResponse = z.infer<typeof CreateAPIKeyResponse>;
export const RevokeAPIKeyResponse = z.object({ id: z.string(), revoked: z.literal(true) });
export type RevokeAPIKeyResponse = z.infer<typeof RevokeAPIKeyResponse>;
