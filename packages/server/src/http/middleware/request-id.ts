import type { MiddlewareHandler } from 'hono';
import type { Random } from '../../crypto/random.js';
import { toHex } from '../../crypto/random.js';
import type { AppEnv } from '../context.js';

const INCOMING_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Give every request an id: a well-formed incoming `X-Request-Id` (from a proxy) is kept, anything
 * else is replaced. The id is echoed in the response and in every log line and 500 body.
 *
 * Ids only need to be unique, not secret: a random per-server prefix (so processes never collide)
 * and a counter, which spares the CSPRNG a call on every request.
 */
export function requestIds(random: Random): (incoming: string | undefined) => string {
  const prefix = toHex(random.bytes(6));
  let counter = 0;
  return (incoming) =>
    incoming && INCOMING_ID.test(incoming) ? incoming : `${prefix}-${(++counter).toString(36)}`;
}

/** Sets each request's id (requestIds) on the context and the response. */
export function requestId(nextId: (incoming: string | undefined) => string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const id = nextId(c.req.header('x-request-id'));
    c.set('requestId', id);
    c.header('X-Request-Id', id);
    await next();
  };
}
