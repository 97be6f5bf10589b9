/** Injected randomness: every token, code and nonce Pylon makes comes from here. */
export interface Random {
  bytes(length: number): Uint8Array;
}

/** The platform CSPRNG through the Web Crypto API. */
export const secureRandom: Random = {
  bytes(length) {
    return crypto.getRandomValues(new Uint8Array(length));
  },
};

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

export function toBase64URL(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

export function fromBase64URL(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64url'));
}
