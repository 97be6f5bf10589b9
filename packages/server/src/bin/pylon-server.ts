#!/usr/bin/env node
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { BACKUP_USAGE, isBackupCommand, runBackupCommand } from '../backup/command.js';
import { openMigratedStorage, prepareServer, resolveSecret, StartupError } from '../boot.js';
import { reportStartFailure, runPrimary } from '../cluster.js';
import { type Config, ConfigError, ConfigErrors, declaredEnvironment, loadConfig } from '../config/config.js';
import { KEY_ROTATION_DELAY_SECONDS } from '../config/defaults.js';
import { commandWords, parseWorkers } from '../config/parse-workers.js';
import { unknownVariables } from '../config/variables.js';
import { features } from '../features/index.js';
import { firstAdminHint } from '../features/rbac/bootstrap-routes.js';
import { disallowedClaimsHint } from '../features/sso/claims-hint.js';
import { chooseLogFormat, createLogger, type Logger, prettyDestination } from '../logger.js';
import { createMailer, type MailOptions, parseMailConfig } from '../mail/index.js';
import { clusterWorkerMetrics } from '../metrics/cluster-metrics.js';
import { createMetrics } from '../metrics/metrics.js';
import { listenForMetrics } from '../metrics/metrics-listener.js';
import { ed25519Backend, signingBackendWarning } from '../platform/ed25519.js';
import { listen } from '../platform/listen.js';
import { createPasswordHasher, passwordHashConcurrency } from '../platform/password.js';
import { createServer } from '../server.js';

const USAGE = `usage: pylon-server [serve] [--workers N]
                                 start the server (default); N worker processes share the port
                                 (default: every core in production, 1 in development)
       pylon-server migrate      apply database migrations and exit
       pylon-server keys rotate  publish a new signing key; it signs after ${KEY_ROTATION_DELAY_SECONDS}s
${BACKUP_USAGE}
Configuration comes from PYLON_* environment variables (see docs/CONFIGURATION.md).`;

/**
 * `serve --workers N` (N > 1), in the primary: migrate, create the default org and the first
 * signing key once, then fork the workers (each runs `serve` below) and supervise them.
 */
async function servePrimary(loaded: Config, logger: Logger, workers: number): Promise<number> {
  const config = resolveSecret(loaded, logger);
  const storage = await openMigratedStorage(config, logger);
  try {
    const server = createServer(config, { storage, logger });
    await prepareServer(server, config);
    await server.close();
  } finally {
    await storage.close();
  }
  return runPrimary({ workers, logger, shutdownGraceMs: config.shutdownGraceMs });
}

/** `serve` in this process: alone (`workers` 1) or as one of `workers` cluster workers. */
async function serve(loaded: Config, mail: MailOptions, logger: Logger, workers: number): Promise<void> {
  const config = resolveSecret(loaded, logger);
  const storage = await openMigratedStorage(config, logger);
  const mailer = createMailer(mail, { logger });
  // A worker's /metrics answers for the whole cluster (metrics/cluster-metrics.ts).
  const metrics = cluster.isWorker ? clusterWorkerMetrics(createMetrics()) : createMetrics();
  // Argon2id at most one computation per core this process has to itself (platform/password.ts).
  const passwordHasher = createPasswordHasher(
    {},
    { concurrency: passwordHashConcurrency(availableParallelism(), workers) },
  );
  const server = createServer(config, { storage, logger, mailer, metrics, passwordHasher }, features(config));
  await prepareServer(server, config);
  const listening = await listen(server.fetch, config.port, config.host, server.direct);
  const metricsListening = await listenForMetrics(server.services.metrics, config, logger);
  // In a cluster every worker says it listens; only the first one repeats the start-up hints.
  const first = !cluster.isWorker || cluster.worker?.id === 1;
  logger.info(`Pylon ${config.env} server listening on ${listening.url} (public URL ${config.publicURL})`);
  if (first) logger.info(`Database: ${storage.description}`);
  const signing = first ? signingBackendWarning(ed25519Backend) : null;
  if (signing !== null) logger.warn(signing);
  const adminHint = first ? await firstAdminHint(server.services) : null;
  if (adminHint !== null) logger.info(adminHint);
  const claimsHint = first ? await disallowedClaimsHint(server.services) : null;
  if (claimsHint !== null) logger.warn(claimsHint);
  if (config.env === 'development' && first) {
    logger.info(
      `Sign in: curl -X POST ${listening.url}/api/auth/magic/send -H 'content-type: application/json' -d '{"email":"you@example.com"}' — the code is printed in this log`,
    );
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: finishing in-flight requests (up to ${config.shutdownGraceMs} ms)`);
    await listening.close(config.shutdownGraceMs);
    await metricsListening?.close(0);
    await server.close();
    metrics.close();
    await storage.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  // A worker whose primary is gone (killed outright) stops too rather than serving unsupervised.
  if (cluster.isWorker) process.on('disconnect', () => void stop('primary gone'));
}

async function migrate(config: Config, logger: Logger): Promise<void> {
  const storage = await openMigratedStorage(config, logger);
  logger.info(`Database ${storage.description} is up to date`);
  await storage.close();
}

async function rotateKeys(loaded: Config, logger: Logger): Promise<void> {
  const config = resolveSecret(loaded, logger);
  const storage = await openMigratedStorage(config, logger);
  try {
    const server = createServer(config, { storage, logger });
    await prepareServer(server, config);
    const rotated = await server.services.keys.rotate(KEY_ROTATION_DELAY_SECONDS);
    logger.info(
      `published key ${rotated.kid}; it signs from ${new Date(rotated.activates_at).toISOString()}` +
        (rotated.removed.length > 0 ? `; removed expired keys ${rotated.removed.join(', ')}` : ''),
    );
  } finally {
    await storage.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const words = commandWords(argv);
  const command = words.join(' ') || 'serve';
  if (words.length !== argv.length && command !== 'serve') {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  if (command === '--help' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  // Every refused value at once (server and mail settings), so one restart fixes them all.
  const refused: ConfigError[] = [];
  const attempt = <T>(parse: () => T): T | null => {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      refused.push(...(error instanceof ConfigErrors ? error.errors : [error]));
      return null;
    }
  };
  const config = attempt(() => loadConfig());
  const production = (config?.env ?? declaredEnvironment(process.env)) === 'production';
  const mail = attempt(() => parseMailConfig(process.env, { production }));
  const workers = attempt(() => parseWorkers(argv, process.env, production));
  // Workers inherit the primary's environment: the hint and the warnings below come once, from the
  // primary.
  const unknown = cluster.isWorker ? [] : unknownVariables(process.env);
  const typoHint = `unknown variables (a typo?): ${unknown.join(', ')}; see docs/CONFIGURATION.md`;
  if (config === null || mail === null || workers === null) {
    const lines = refused.map((error) => error.message);
    process.stderr.write(
      (lines.length === 1
        ? `pylon-server: invalid configuration: ${lines[0]}\n`
        : `pylon-server: invalid configuration (${lines.length} problems):\n${lines.map((line) => `  ${line}\n`).join('')}`) +
        // A misspelt name is often why a variable counts as missing (PYLON_SECERT for PYLON_SECRET).
        (unknown.length > 0 ? `pylon-server: ${typoHint}\n` : ''),
    );
    return 78;
  }
  const pretty = chooseLogFormat(config.env, process.stdout.isTTY) === 'pretty';
  const root = createLogger(config.logLevel, pretty ? prettyDestination(process.stdout) : undefined);
  const logger = cluster.isWorker ? root.child({ worker: cluster.worker?.id }) : root;
  if (unknown.length > 0) logger.warn(`Ignoring ${typoHint}`);
  if (config.env === 'development' && process.env.PYLON_ALLOW_DEV_ON_NETWORK && !cluster.isWorker) {
    logger.warn(
      'PYLON_ALLOW_DEV_ON_NETWORK: development mode is reachable beyond loopback; anyone who reaches it can sign in as any user',
    );
  }
  try {
    if (isBackupCommand(argv)) return await runBackupCommand(argv, config, logger);
    switch (command) {
      case 'serve':
        if (workers > 1 && cluster.isPrimary) return await servePrimary(config, logger, workers);
        await serve(config, mail, logger, workers);
        return -1;
      case 'migrate':
        await migrate(config, logger);
        return 0;
      case 'keys rotate':
        await rotateKeys(config, logger);
        return 0;
      default:
        process.stderr.write(`${USAGE}\n`);
        return 2;
    }
  } catch (error) {
    // A worker tells its primary why it could not start; the primary logs it (cluster.ts).
    if (cluster.isWorker && (await reportFailure(error))) return 1;
    if (error instanceof StartupError) {
      process.stderr.write(`pylon-server: ${error.message}\n`);
      return 1;
    }
    logger.fatal({ err: error }, 'pylon-server failed');
    return 1;
  }
}

/** In a cluster worker: the failure's one line (and an unexpected error's stack) to the primary. */
function reportFailure(error: unknown): Promise<boolean> {
  const reason = (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, '; ');
  const expected = error instanceof StartupError;
  return reportStartFailure(reason, expected || !(error instanceof Error) ? undefined : error.stack);
}

const code = await main(process.argv.slice(2));
if (code >= 0) process.exit(code);
