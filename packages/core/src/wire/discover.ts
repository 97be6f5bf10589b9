import { z } from 'zod';

/** The org a base URL serves; tokens carry `api_url` as `iss`. */
export const DiscoverResponse = z.object({ id: z.string(), name: z.string(), api_url: z.string() });
export type DiscoverResponse = z.infer<typeof DiscoverResponse>;

/** One Ed25519 public key (RFC 8037) that verifies scoped tokens. */
export const PublishedKey = z.object({
  kty: z.literal('OKP'),
  crv: z.literal('Ed25519'),
  x: z.string(),
  kid: z.string(),
  alg: z.literal('EdDSA'),
  use: z.literal('sig'),
});
export type PublishedKey = z.infer<typeof PublishedKey>;
export const KeySet = z.object({ keys: z.array(PublishedKey) });
export type KeySet = z.infer<typeof KeySet>;

export const HealthResponse = z.object({ status: z.literal('ok') });
export type HealthResponse = z.infer<typeof HealthResponse>;
export const ReadyResponse = z.object({
  status: z.enum(['ready', 'not_ready']),
  database: z.enum(['ok', 'unreachable']),
  /** `pending`: the database lacks a migration this build has; `running`: a migrator holds the lock. */
  migrations: z.enum(['ok', 'pending', 'running', 'unknown']),
  signing_key: z.enum(['ok', 'missing']),
});
export type ReadyResponse = z.infer<typeof ReadyResponse>;
