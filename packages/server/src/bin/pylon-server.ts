#!/usr/bin/env node
import { openMigratedStorage, resolveSecret } from '../boot.js';
import { type Config, ConfigError, loadConfig } from '../config/config.js';
import { DEFAULTS } from '../config/defaults.js';
import { features } from '../features/index.js';
import { firstAdminHint } from '../features/rbac/bootstrap-routes.js';
import { createLogger, type Logger } from '../logger.js';
import { createMailer, type MailOptions, parseMailConfig } from '../mail/index.js';
import { listen } from '../platform/listen.js';
import { createServer } from '../server.js';

const USAGE = `usage: pylon-server [serve]      start the server (default)
       pylon-server migrate      apply database migrations and exit
       pylon-server keys rotate  publish a new signing key; it signs after ${DEFAULTS.keySetMaxAgeSeconds}s
Configuration comes from PYLON_* environment variables (see docs/CONFIGURATION.md).`;

async function serve(loaded: Config, mail: MailOptions, logger: Logger): Promise<void> {
  const config = resolveSecret(loaded, logger);
  const storage = await openMigratedStorage(config, logger);
  const mailer = createMailer(mail, { logger });
  const server = createServer(config, { storage, logger, mailer }, features(config));
  await server.prepare();
  const listening = await listen(server.fetch, config.port, config.host);
  logger.info(`Pylon ${config.env} server listening on ${listening.url} (public URL ${config.publicURL})`);
  logger.info(`Database: ${storage.description}`);
  const adminHint = await firstAdminHint(server.services);
  if (adminHint !== null) logger.info(adminHint);
  if (config.env === 'development') {
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
    await server.close();
    await storage.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
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
    await server.prepare();
    const rotated = await server.services.keys.rotate(DEFAULTS.keySetMaxAgeSeconds);
    logger.info(
      `published key ${rotated.kid}; it signs from ${new Date(rotated.activates_at).toISOString()}` +
        (rotated.removed.length > 0 ? `; removed expired keys ${rotated.removed.join(', ')}` : ''),
    );
  } finally {
    await storage.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const command = argv.join(' ') || 'serve';
  if (command === '--help' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let config: Config;
  let mail: MailOptions;
  try {
    config = loadConfig();
    mail = parseMailConfig(process.env, { production: config.env === 'production' });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`pylon-server: invalid configuration: ${error.message}\n`);
    return 78;
  }
  const logger = createLogger(config.logLevel);
  try {
    switch (command) {
      case 'serve':
        await serve(config, mail, logger);
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
    logger.fatal({ err: error }, 'pylon-server failed');
    return 1;
  }
}

const code = await main(process.argv.slice(2));
if (code >= 0) process.exit(code);
