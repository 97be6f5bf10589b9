import { PylonError } from '@pylon/core';
import { appendAudit, DEPLOYMENT_AUDIT } from '../../audit/audit-log.js';
import type { Services } from '../../http/context.js';
import { hkdfSha256 } from '../../platform/node-crypto.js';
import type { Identity } from '../identity/identity.js';
import { requireRecentSignIn, type SessionCaller } from '../identity/reauthentication.js';
import type { RequestFacts } from '../identity/sign-in.js';
import { type APIKey, APIKeyStore } from './api-key-store.js';

/**
 * API keys for a signed-in person, shared by `/api/auth/api-keys*` and the hosted
 * `/account/api-keys` page, so both pass the same checks and write the same audit.
 */

type Facts = Pick<RequestFacts, 'ip' | 'requestId'>;

/** The store of keys, with the pepper their hashes use (PYLON_API_KEY_PEPPER, else derived). */
export function apiKeyStore(services: Services): APIKeyStore {
  const pepper = services.config.apiKeyPepper
    ? Buffer.from(services.config.apiKeyPepper, 'utf8')
    : hkdfSha256(Buffer.from(services.config.secret!, 'hex'), 'pylon/api-keys/v1');
  return new APIKeyStore(services.storage.db, services.random, pepper);
}

const audit = (services: Services, facts: Facts, action: string, userId: string, keyId: string) =>
  appendAudit(services.storage.db, services.clock.now(), {
    org: DEPLOYMENT_AUDIT,
    action,
    actor: userId,
    target: keyId,
    ip: facts.ip,
    requestId: facts.requestId,
  });

/** The furthest ahead a key's expiry may be set: ten years. */
const MAX_KEY_LIFETIME_MS = 10 * 365 * 24 * 60 * 60 * 1000;

/** The refusals of an expiry, as their messages: the account page names the field from them. */
export const EXPIRY_PASSED = 'expires_at must be in the future';
export const EXPIRY_TOO_FAR =
  'expires_at is in seconds since the epoch, at most ten years ahead (omit it for a key without expiry)';

/**
 * A key acting as the person, limited to `scopes`; `key` is the only time the secret is seen. It
 * is a way in that outlives the session, so it needs a recent sign-in (reauthentication.ts).
 */
export async function createAPIKey(
  identity: Identity,
  keys: APIKeyStore,
  facts: Facts,
  input: SessionCaller & { name: string | null; scopes: readonly string[]; expiresAt: number | null },
): Promise<{ key: string; record: APIKey }> {
  const { services } = identity;
  const now = services.clock.now();
  if (input.expiresAt !== null && input.expiresAt <= now)
    throw new PylonError('VALIDATION_FAILED', { message: EXPIRY_PASSED });
  // Milliseconds sent for seconds would otherwise make a key that outlives everyone.
  if (input.expiresAt !== null && input.expiresAt > now + MAX_KEY_LIFETIME_MS)
    throw new PylonError('VALIDATION_FAILED', { message: EXPIRY_TOO_FAR });
  await requireRecentSignIn(identity, input);
  const created = await keys.create({
    userId: input.userId,
    name: input.name,
    scopes: [...new Set(input.scopes)].sort(),
    expiresAt: input.expiresAt,
    now,
  });
  await audit(services, facts, 'api_key.created', input.userId, created.record.id);
  return created;
}

/** Revoke one of the person's keys; another person's key is not found, the same as none. */
export async function revokeAPIKey(
  services: Services,
  keys: APIKeyStore,
  facts: Facts,
  input: { userId: string; id: string },
): Promise<void> {
  if (!(await keys.revoke(input.userId, input.id))) throw new PylonError('API_KEY_NOT_FOUND');
  await audit(services, facts, 'api_key.revoked', input.userId, input.id);
}
