import * as crypto from 'node:crypto';

/**
 * `crypto.hash` (Node 20.12+, 21.7+) digests in one call without a `Hash` object, which the hot
 * paths (the session-token hash and the email hash of every authenticated request) pay for
 * otherwise; older Node 20 releases and runtimes without it (Workers) use `createHash`.
 */
const oneShot = (crypto as { hash?: typeof crypto.hash }).hash;

/** SHA-256 in lowercase hex; strings are hashed as their UTF-8 bytes. */
export const sha256Hex: (data: string | Uint8Array) => string =
  oneShot === undefined
    ? (data) => crypto.createHash('sha256').update(data).digest('hex')
    : (data) => oneShot('sha256', data, 'hex');

/** SHA-256 in unpadded base64url; strings are hashed as their UTF-8 bytes. */
export const sha256Base64URL: (data: string | Uint8Array) => string =
  oneShot === undefined
    ? (data) => crypto.createHash('sha256').update(data).digest('base64url')
    : (data) => oneShot('sha256', data, 'base64url');
