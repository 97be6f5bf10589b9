import { KEY_SET_CACHE_CONTROL } from '../features/key-set/routes.js';
import { CORS_HEADERS } from '../http/cors.js';
import type { Logger } from '../logger.js';
import type { KeyRing } from '../signing/signing-keys.js';
import type { WorkersBindings } from './config.js';
import { ownAnswerHeaders } from './own-answer.js';
import type { KVNamespace } from './runtime.js';

/** The KV entry holding the public key set, as `GET /.well-known/jwks.json` answers it. */
export const KEY_SET_KV_KEY = 'pylon/key-set';

/**
 * What the KV entry carries beside the key set: the deployment's default org, the one org the
 * Worker can know exists (it cannot be deleted), so the only one under whose `/o/{orgId}` it may
 * answer the key set; any other org's existence only the Durable Object knows.
 */
interface KeySetMetadata {
  defaultOrg?: unknown;
}

/** The key-set paths of an org's RBAC surface, at the root and under `/o/{orgId}`. */
const KEY_SET_SUFFIXES: readonly string[] = ['/.well-known/jwks.json', '/.well-known/pylon-keys'];

/**
 * Which org's key-set path `pathname` is: '' at the root, the org id under `/o/{orgId}`, null for
 * any other path. (`/oauth/jwks` is not one: it adds the id_token keys, which KV does not hold.)
 */
export function keySetPathOrg(pathname: string): string | null {
  if (KEY_SET_SUFFIXES.includes(pathname)) return '';
  const match = /^\/o\/([^/]+)(\/.*)$/.exec(pathname);
  return match && KEY_SET_SUFFIXES.includes(match[2]!) ? match[1]! : null;
}

/**
 * Writes the public key set through to KV whenever the Durable Object's published set changes
 * (first key, rotation from the console, a retired key dropped), so the Worker can serve verifiers
 * from KV. Correct because a rotated key is published `KEY_ROTATION_DELAY_SECONDS` (330 s) before
 * it signs, far longer than KV takes to show a write everywhere (about 60 s), and a retired key stays
 * published past the last token it signed: a reader of a slightly old copy still finds the key.
 */
export class KeySetPublisher {
  private published: string | null = null;

  constructor(
    private readonly kv: KVNamespace | undefined,
    private readonly keys: KeyRing,
    private readonly defaultOrg: string,
    private readonly logger: Logger,
  ) {}

  /** Write the current set to KV if it differs from the last one written; never throws. */
  async sync(): Promise<void> {
    if (!this.kv) return;
    try {
      const body = JSON.stringify({ keys: await this.keys.publicKeys() });
      if (body === this.published) return;
      const metadata: KeySetMetadata = { defaultOrg: this.defaultOrg };
      await this.kv.put(KEY_SET_KV_KEY, body, { metadata });
      this.published = body;
    } catch (error) {
      // The Worker then keeps serving the previous copy or, with none, asks the Durable Object.
      this.logger.error({ err: error }, 'key set: writing the KV copy failed');
    }
  }
}

/**
 * The Worker's answer for a key-set path from KV, or null to ask the Durable Object (no KV bound,
 * nothing written yet, not a plain GET of a key-set path, or one under an org other than the
 * default). The same headers as the object's own answer of that path: its security headers and
 * request id, the CORS headers of a `cors` route, the key set's Cache-Control; and
 * `x-pylon-key-set: kv`, which says where it came from.
 */
export async function keySetFromCache(
  request: Request,
  env: WorkersBindings & { PYLON_CACHE?: KVNamespace | undefined },
): Promise<Response | null> {
  const kv = env.PYLON_CACHE;
  if (!kv || request.method !== 'GET') return null;
  const url = new URL(request.url);
  const org = keySetPathOrg(url.pathname);
  if (org === null || url.search !== '') return null;
  const { value, metadata } = await kv.getWithMetadata<KeySetMetadata>(KEY_SET_KV_KEY);
  if (value === null) return null;
  if (org !== '' && metadata?.defaultOrg !== org) return null;
  const { headers } = ownAnswerHeaders(request, env);
  for (const [name, header] of Object.entries(CORS_HEADERS)) headers.set(name, header);
  headers.set('cache-control', KEY_SET_CACHE_CONTROL);
  headers.set('x-pylon-key-set', 'kv');
  return new Response(value, { status: 200, headers });
}
