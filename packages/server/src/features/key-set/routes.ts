import { KeySet } from '@pylon/core/wire';
import { DEFAULTS } from '../../config/defaults.js';
import type { AppContext, Services } from '../../http/context.js';
import { defineRoute } from '../../http/route-table.js';

/** How long a verifier may keep the key set (the Workers front answers from KV with the same). */
export const KEY_SET_CACHE_CONTROL = `public, max-age=${DEFAULTS.keySetMaxAgeSeconds}`;

async function serveKeySet(c: AppContext, _input: unknown, { keys }: Services): Promise<Response> {
  c.header('Cache-Control', KEY_SET_CACHE_CONTROL);
  return c.json({ keys: await keys.publicKeys() });
}

const responses = {
  200: { description: 'The Ed25519 public keys that verify scoped tokens', schema: KeySet },
};

export const keyRoutes = [
  defineRoute({
    method: 'get',
    path: '/.well-known/pylon-keys',
    cors: true,
    summary: 'Signing key set',
    tags: ['tokens'],
    responses,
    handler: serveKeySet,
  }),
  defineRoute({
    method: 'get',
    path: '/.well-known/jwks.json',
    cors: true,
    summary: 'Signing key set (JWKS alias)',
    tags: ['tokens'],
    responses,
    handler: serveKeySet,
  }),
];
