import { importJWK } from 'jose';

/** One public key as `/.well-known/pylon-keys` publishes it (docs/API.md). */
export interface PublishedKey {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  alg?: 'EdDSA';
  use?: string;
  key_ops?: unknown;
}

/**
 * The Ed25519 keys of a key-set document; anything else in it (another key type or algorithm) is
 * skipped rather than failing the whole set. Stays `unknown` until narrowed: it comes from the network.
 */
export function readPublishedKeys(document: unknown): PublishedKey[] {
  const keys = (document as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new TypeError('key set without a keys array');
  return keys.filter(isEd25519Key).map(({ kty, crv, x, kid, alg, use, key_ops }) => ({
    kty,
    crv,
    x,
    kid,
    ...(alg === undefined ? {} : { alg }),
    ...(use === undefined ? {} : { use }),
    ...(key_ops === undefined ? {} : { key_ops }),
  }));
}

function isEd25519Key(value: unknown): value is PublishedKey {
  if (typeof value !== 'object' || value === null) return false;
  const key = value as Record<string, unknown>;
  return (
    key.kty === 'OKP' &&
    key.crv === 'Ed25519' &&
    typeof key.x === 'string' &&
    typeof key.kid === 'string' &&
    (key.alg === undefined || key.alg === 'EdDSA')
  );
}

/**
 * Whether a published key may verify signatures: RFC 7517 §4.2, `use` (when present) is `sig`;
 * §4.3, `key_ops` (when present) lists `verify`. A key published for encryption is never trusted
 * for a signature, even when its bytes would verify one.
 */
export function isVerificationKey(key: PublishedKey): boolean {
  const { use, key_ops: keyOps } = key;
  return (
    (use === undefined || use === 'sig') &&
    (keyOps === undefined || (Array.isArray(keyOps) && keyOps.includes('verify')))
  );
}

/**
 * kid → key, imported once per fetch so verification never re-imports. A key that may not verify
 * maps to null, so a token naming it is refused as such (not as an unknown kid that forces a
 * refresh); when a kid is published twice, a verification key wins.
 */
export async function importPublishedKeys(
  keys: readonly PublishedKey[],
): Promise<Map<string, CryptoKey | null>> {
  const imported = await Promise.all(
    keys.map(async (key) => {
      if (!isVerificationKey(key)) return [key.kid, null] as const;
      const cryptoKey = await importJWK({ kty: key.kty, crv: key.crv, x: key.x }, 'EdDSA');
      return [key.kid, cryptoKey as CryptoKey] as const;
    }),
  );
  const byKid = new Map<string, CryptoKey | null>();
  for (const [kid, key] of imported) if (!byKid.get(kid)) byKid.set(kid, key);
  return byKid;
}
