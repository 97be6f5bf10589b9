import { importJWK } from 'jose';

/** One public key as `/.well-known/pylon-keys` publishes it (docs/API.md "Routes so far"). */
export interface PublishedKey {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  alg?: 'EdDSA';
  use?: 'sig';
}

/**
 * The keys of a key-set document that can verify a scoped token; anything else in it (another key
 * type, an encryption key) is skipped rather than failing the whole set. Stays `unknown` until
 * narrowed: it comes from the network.
 */
export function readPublishedKeys(document: unknown): PublishedKey[] {
  const keys = (document as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new TypeError('key set without a keys array');
  return keys.filter(isVerificationKey);
}

function isVerificationKey(value: unknown): value is PublishedKey {
  if (typeof value !== 'object' || value === null) return false;
  const key = value as Record<string, unknown>;
  return (
    key.kty === 'OKP' &&
    key.crv === 'Ed25519' &&
    typeof key.x === 'string' &&
    typeof key.kid === 'string' &&
    (key.alg === undefined || key.alg === 'EdDSA') &&
    (key.use === undefined || key.use === 'sig')
  );
}

/** kid → key, imported once per fetch so verification never re-imports. */
export async function importPublishedKeys(keys: readonly PublishedKey[]): Promise<Map<string, CryptoKey>> {
  const imported = await Promise.all(
    keys.map(async (key) => {
      const cryptoKey = await importJWK({ kty: key.kty, crv: key.crv, x: key.x }, 'EdDSA');
      return [key.kid, cryptoKey as CryptoKey] as const;
    }),
  );
  return new Map(imported);
}
