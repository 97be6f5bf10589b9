import { DEFAULTS } from '../config/defaults.js';
import type { Logger } from '../logger.js';
import type { KeyRing } from '../signing/signing-keys.js';
import type { KVNamespace } from './runtime.js';

/** The KV entry holding the public key set, as `GET /.well-known/jwks.json` answers it. */
export const KEY_SET_KV_KEY = 'pylon/key-set';

/** The key-set paths the Worker may answer from KV without waking the Durable Object. */
export const KEY_SET_PATHS: readonly string[] = ['/.well-known/jwks.json', '/.well-known/pylon-keys'];

/**
 * Writes the public key set through to KV whenever the Durable Object's published set changes
 * (first key, rotation from the console, a retired key dropped), so the Worker can serve verifiers
 * from KV. Correct because a rotated key is published `keySetMaxAgeSeconds` (300 s) before it
 * signs, far longer than KV takes to show a write everywhere (about 60 s), and a retired key stays
 * published past the last token it signed: a reader of a slightly old copy still finds the key.
 */
export class KeySetPublisher {
  private published: string | null = null;

  constructor(
    private readonly kv: KVNamespace | undefined,
    private readonly keys: KeyRing,
    private readonly logger: Logger,
  ) {}

  /** Write the current set to KV if it differs from the last one written; never throws. */
  async sync(): Promise<void> {
    if (!this.kv) return;
    try {
      const body = JSON.stringify({ keys: await this.keys.publicKeys() });
      if (body === this.published) return;
      await this.kv.put(KEY_SET_KV_KEY, body);
      this.published = body;
    } catch (error) {
      // The Worker then keeps serving the previous copy or, with none, asks the Durable Object.
      this.logger.error({ err: error }, 'key set: writing the KV copy failed');
    }
  }
}

/**
 * The Worker's answer for a key-set path from KV, or null to ask the Durable Object (no KV bound,
 * nothing written yet, or not a plain GET of a key-set path).
 */
export async function keySetFromCache(
  request: Request,
  kv: KVNamespace | undefined,
): Promise<Response | null> {
  if (!kv || request.method !== 'GET') return null;
  const url = new URL(request.url);
  if (!KEY_SET_PATHS.includes(url.pathname) || url.search !== '') return null;
  const body = await kv.get(KEY_SET_KV_KEY);
  if (body === null) return null;
  return new Response(body, {
    status: 200,
    headers: {
      'content-type': 'application/json',
      'cache-control': `public, max-age=${DEFAULTS.keySetMaxAgeSeconds}`,
      'x-pylon-key-set': 'kv',
    },
  });
}
