import { z } from 'zod';
import { DEFAULTS } from '../../config/defaults.js';
import type { AppContext, Services } from '../../http/context.js';
import { defineRoute } from '../../http/route-table.js';

const keySet = z.object({
  keys: z.array(
    z.object({
      kty: z.literal('OKP'),
      crv: z.literal('Ed25519'),
      x: z.string(),
      kid: z.string(),
      alg: z.literal('EdDSA'),
      use: z.literal('sig'),
    }),
  ),
});

async function serveKeySet(c: AppContext, _input: unknown, { keys }: Services): Promise<Response> {
  c.header('Cache-Control', `public, max-age=${DEFAULTS.keySetMaxAgeSeconds}`);
  return c.json({ keys: await keys.publicKeys() });
}

const responses = {
  200: { description: 'The Ed25519 public keys that verify scoped tokens', schema: keySet },
};

export const keyRoutes = [
  defineRoute({
    method: 'get',
    path: '/.well-known/pylon-keys',
    summary: 'Signing key set',
    tags: ['tokens'],
    responses,
    handler: serveKeySet,
  }),
  defineRoute({
    method: 'get',
    path: '/.well-known/jwks.json',
    summary: 'Signing key set (JWKS alias)',
    tags: ['tokens'],
    responses,
    handler: serveKeySet,
  }),
];
