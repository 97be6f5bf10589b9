/** Injected randomness: every token, code and nonce Pylon makes comes from here. */
export interface Random {
  bytes(length: number): Uint8Array;
}

/** The platform CSPRNG through the Web Crypto API, one call per request for bytes. */
export const secureRandom: Random = {
  bytes(length) {
    return crypto.getRandomValues(new Uint8Array(length));
  },
};

const POOL_BYTES = 4096;

/**
 * The same CSPRNG, drawn 4 KiB at a time: each call to the platform costs far more than the bytes
 * (about 12 µs for 16 bytes), and the hot paths take a few dozen bytes per request. Every byte is
 * handed out once and copied out of the pool. Its state lives in the returned object.
 */
export function pooledSecureRandom(): Random {
  let pool = new Uint8Array(0);
  let offset = 0;
  return {
    bytes(length) {
      if (length > POOL_BYTES) return crypto.getRandomValues(new Uint8Array(length));
      if (offset + length > pool.length) {
        pool = crypto.getRandomValues(new Uint8Array(POOL_BYTES));
        offset = 0;
      }
      const out = pool.slice(offset, offset + length);
      pool.fill(0, offset, offset + length);
      offset += length;
      return out;
    },
  };
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

export function toBase64URL(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

export function fromBase64URL(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64url'));
}
