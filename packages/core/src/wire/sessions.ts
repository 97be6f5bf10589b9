import { z } from 'zod';

/** One of the caller's live sessions; `*_at` in seconds since the epoch. */
export const SessionSummary = z.object({
  id: z.string(),
  token_prefix: z.string(),
  kind: z.string(),
  device: z.string().nullable(),
  ip: z.string().nullable(),
  created_at: z.number(),
  last_seen_at: z.number(),
  expires_at: z.number(),
  current: z.boolean(),
});
export type SessionSummary = z.infer<typeof SessionSummary>;
export const SessionList = z.array(SessionSummary);
export type SessionList = z.infer<typeof SessionList>;

export const RevokeSessionsResponse = z.object({ revoked_count: z.number() });
export type RevokeSessionsResponse = z.infer<typeof RevokeSessionsResponse>;
export const RevokeSessionResponse = z.object({ revoked: z.literal(true) });
export type RevokeSessionResponse = z.infer<typeof RevokeSessionResponse>;

export const MintSessionRequest = z.object({ user_id: z.string().min(1) });
export type MintSessionRequest = z.infer<typeof MintSessionRequest>;
