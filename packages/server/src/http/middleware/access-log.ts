import type { MiddlewareHandler } from 'hono';
import type { Clock } from '../../clock.js';
import type { Logger } from '../../logger.js';
import type { AppEnv } from '../context.js';

/**
 * One structured line per request. Only the path is logged, never the query string (device codes
 * and OAuth codes travel there) nor any header, so no token can reach the log.
 */
export function accessLog(logger: Logger, clock: Clock): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = clock.now();
    await next();
    logger.info(
      {
        requestId: c.get('requestId'),
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: clock.now() - started,
      },
      'request',
    );
  };
}
