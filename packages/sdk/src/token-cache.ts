import type { VerifiedClaims } from './claims.js';

interface Entry extends VerifiedClaims {
  token: string;
}

/**
 * Verified tokens by signature, until `exp` (verification is a hot path: a hit is a map
 * look-up). Bounded LRU: a Map keeps insertion order, so re-inserting on a hit makes the first
 * key the least recently used.
 */
export function createTokenCache(maxEntries: number) {
  const entries = new Map<string, Entry>();
  return {
    get(
      signature: string,
      token: string,
      nowSeconds: number,
      skewSeconds: number,
    ): VerifiedClaims | undefined {
      const entry = entries.get(signature);
      if (entry === undefined) return undefined;
      // The signature alone is not the token: a forged header or payload spliced onto a known
      // signature must not hit.
      if (entry.token !== token) return undefined;
      entries.delete(signature);
      if (nowSeconds - skewSeconds >= entry.exp) return undefined;
      entries.set(signature, entry);
      return entry;
    },
    set(signature: string, token: string, verified: VerifiedClaims): void {
      entries.delete(signature);
      entries.set(signature, { ...verified, token });
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
    },
    get size(): number {
      return entries.size;
    },
  };
}
