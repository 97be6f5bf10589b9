/**
 * What the Workers bundle (scripts/build-worker.mjs) puts in place of a Node-only package
 * (better-sqlite3, pg, nodemailer, prom-client, pino, @hono/node-server): importing is harmless,
 * using it fails loudly. The Workers entry never reaches these paths; start-up refuses the
 * settings that would (workers/config.ts).
 */
function unavailable(): never {
  throw new Error('this Node-only module is not available on Cloudflare Workers');
}

class Unavailable {
  constructor() {
    unavailable();
  }
}

export const Pool = Unavailable;
export const Registry = Unavailable;
export const Counter = Unavailable;
export const Gauge = Unavailable;
export const Histogram = Unavailable;
export const types = { getTypeParser: unavailable };
export const createTransport = unavailable;
export const serve = unavailable;
export default Object.assign(unavailable, { Pool, types, createTransport });
