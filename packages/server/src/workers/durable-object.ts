import { errorSpec } from '@pylon/core';
import { ConfigError, ConfigErrors } from '../config/config.js';
import { surfaceOf } from '../http/context.js';
import { errorBody } from '../http/errors.js';
import type { Logger } from '../logger.js';
import { createMailer } from '../mail/index.js';
import { openDurableStorage } from '../platform/durable-sqlite.js';
import { workersFetch } from '../platform/fetch-web.js';
import { createServer, type PylonServer } from '../server.js';
import { migrateToLatest } from '../storage/database.js';
import { AlarmScheduler } from './alarm-scheduler.js';
import { loadWorkersConfig } from './config.js';
import { workersFeatures } from './features.js';
import { KeySetPublisher } from './key-set-cache.js';
import { createWorkersLogger } from './logger.js';
import { createWorkersMetrics } from './metrics.js';
import { ownAnswerHeaders } from './own-answer.js';
import type { DurableObjectState, PylonWorkerEnv } from './runtime.js';

/**
 * The header the Worker sets to the client's address (Cloudflare's CF-Connecting-IP) before it
 * forwards a request here; anything a client sent under this name is dropped by the Worker.
 */
export const CLIENT_IP_HEADER = 'x-pylon-client-ip';

interface Running {
  server: PylonServer;
  logger: Logger;
  keySet: KeySetPublisher;
  scheduler: AlarmScheduler;
}

/**
 * The whole Pylon server inside one Durable Object: its SQLite database is Pylon's database, and
 * the unchanged Hono app answers every request the Worker forwards. One object is one writer, as
 * one SQLite process is on Node. It boots on its first request: configuration (refused with every
 * problem named when a setting cannot work on Workers), migrations, default org and signing key.
 */
export class PylonStore {
  private running: Promise<Running> | null = null;

  constructor(
    private readonly state: DurableObjectState,
    private readonly env: PylonWorkerEnv,
  ) {}

  async fetch(request: Request): Promise<Response> {
    let running: Running;
    try {
      running = await this.boot();
    } catch (error) {
      return startupFailure(request, this.env, error);
    }
    const address = request.headers.get(CLIENT_IP_HEADER);
    const forwarded = new Request(request);
    forwarded.headers.delete(CLIENT_IP_HEADER);
    // The app reads the client address where Node's adapter puts it (route-helpers.ts, clientIP).
    const response = await running.server.fetch(forwarded, {
      incoming: { socket: { remoteAddress: address } },
    });
    // Mail and batched writes run after the answer; the runtime keeps the object for them.
    this.state.waitUntil(Promise.all([running.server.idle(), running.keySet.sync()]));
    return response;
  }

  /**
   * The alarm handler (https://developers.cloudflare.com/durable-objects/api/alarms/): the server's
   * periodic work, the audit chain's checkpoints and retention, which timers would run only while
   * the object is awake. It boots the object when the alarm woke it; a deployment that cannot boot
   * is left without an alarm until a request boots it.
   */
  async alarm(): Promise<void> {
    let running: Running;
    try {
      running = await this.boot();
    } catch (error) {
      logStartupFailure(error);
      return;
    }
    await running.scheduler.run();
    await running.server.idle();
  }

  private async boot(): Promise<Running> {
    try {
      this.running ??= this.start();
      return await this.running;
    } catch (error) {
      // Try again on the next request: a fixed setting takes effect with the next deployment.
      this.running = null;
      throw error;
    }
  }

  private async start(): Promise<Running> {
    const { config, mail } = loadWorkersConfig(this.env);
    const logger = createWorkersLogger(config.logLevel);
    const storage = openDurableStorage(this.state.storage);
    const { error, results } = await migrateToLatest(storage);
    for (const result of results ?? []) {
      if (result.status === 'Success') logger.info(`migration ${result.migrationName} applied`);
      if (result.status === 'Error') logger.error(`migration ${result.migrationName} failed`);
    }
    if (error) throw error;
    const fetch = workersFetch();
    const mailer = createMailer(mail, { logger, fetch });
    const scheduler = new AlarmScheduler(this.state.storage);
    const server = createServer(
      config,
      { storage, logger, mailer, fetch, metrics: createWorkersMetrics(), scheduler },
      workersFeatures(config),
    );
    await server.prepare();
    await scheduler.arm();
    const keySet = new KeySetPublisher(this.env.PYLON_CACHE, server.services.keys, config.orgId, logger);
    await keySet.sync();
    logger.info(`Pylon ${config.env} server ready in a Durable Object (public URL ${config.publicURL})`);
    return { server, logger, keySet, scheduler };
  }
}

/** `Retry-After` of the answer while the deployment cannot start (a fix takes a deployment). */
const STARTUP_RETRY_AFTER_SECONDS = 30;

/**
 * Logs why the deployment cannot start: a refused configuration names each variable and what to
 * change (never its value), anything else is logged as the error it is. Returns the refused
 * variables, or null when it was not the configuration.
 */
function logStartupFailure(error: unknown, requestId?: string): string[] | null {
  const refused =
    error instanceof ConfigErrors ? error.errors : error instanceof ConfigError ? [error] : null;
  const logger = createWorkersLogger('error');
  const context = requestId === undefined ? {} : { requestId };
  if (refused) {
    logger.fatal({ ...context, problems: refused.map((e) => e.message) }, 'pylon: invalid configuration');
  } else {
    logger.fatal({ ...context, err: error }, 'pylon: start-up failed');
  }
  return refused?.map((e) => e.variable) ?? null;
}

/**
 * A deployment that cannot start answers 503 to everyone, in the error shape of the surface the
 * path names (`CONFIGURATION_ERROR` / `configuration_error` with the refused variables, else
 * `STARTUP_FAILED` / `startup_failed`) with the headers every answer carries, and logs why.
 */
function startupFailure(request: Request, env: PylonWorkerEnv, error: unknown): Response {
  const { headers, requestId } = ownAnswerHeaders(request, env);
  const variables = logStartupFailure(error, requestId);
  const code = variables ? 'CONFIGURATION_ERROR' : 'STARTUP_FAILED';
  const surface = surfaceOf(new URL(request.url).pathname);
  const body = errorBody(surface, code, errorSpec(code)!.message, {
    fields: variables ? { variables } : {},
  });
  headers.set('retry-after', String(STARTUP_RETRY_AFTER_SECONDS));
  return new Response(JSON.stringify(body), { status: errorSpec(code)!.status, headers });
}
