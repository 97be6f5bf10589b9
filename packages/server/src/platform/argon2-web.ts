/**
 * The Workers bundle's stand-in for `@node-rs/argon2` (a native binding). Password routes are not
 * mounted on Workers (workers/features.ts, docs/WORKERS.md), so nothing hashes; should anything
 * try, it fails rather than store a password some other way. `verify` failing makes
 * platform/password.ts answer "no match", which is true: no password is stored on Workers.
 */
/** The options platform/password.ts passes; unused here. */
export type Options = Readonly<Record<string, unknown>>;

export async function hash(_password: string, _options?: Options): Promise<string> {
  throw new Error('password hashing is not available on Cloudflare Workers');
}

export async function verify(_hashed: string, _password: string, _options?: Options): Promise<boolean> {
  throw new Error('password hashing is not available on Cloudflare Workers');
}
