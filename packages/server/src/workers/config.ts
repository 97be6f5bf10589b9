import { type Config, declaredEnvironment, loadConfig } from '../config/config.js';
import { ConfigError, ErrorCollector } from '../config/config-error.js';
import { parseMailConfig } from '../mail/index.js';
import { MAIL_VARIABLES, type MailOptions } from '../mail/mail-options.js';

/** The Worker's bindings: PYLON_* vars and secrets (strings), and the objects Pylon binds. */
export type WorkersBindings = Readonly<Record<string, unknown>>;

/**
 * Settings that cannot work on Workers, each refused with what to do instead, so a deployment
 * never starts half-working (docs/WORKERS.md, "Not available on Workers").
 */
const REFUSED: Readonly<Record<string, string>> = {
  PYLON_DATABASE_URL:
    'is not used on Workers: the database is the SQLite of the PYLON_STORE Durable Object; remove it',
  PYLON_DATA_DIR: 'is not used on Workers (there is no file system); remove it',
  PYLON_PORT: 'is not used on Workers (Cloudflare routes requests to the Worker); remove it',
  PYLON_HOST: 'is not used on Workers (Cloudflare routes requests to the Worker); remove it',
  PYLON_WORKERS: 'is not used on Workers (the runtime runs the Worker where it is needed); remove it',
  PYLON_METRICS_PORT: 'is not available on Workers (no second listener); remove it',
  PYLON_TRUSTED_PROXIES:
    'is not used on Workers: the client address is the one Cloudflare reports (CF-Connecting-IP); remove it',
  PYLON_SHUTDOWN_GRACE_MS: 'is not used on Workers (the runtime ends requests itself); remove it',
};

/** The string bindings only: the PYLON_* vars and secrets `loadConfig` reads. */
export function stringBindings(bindings: WorkersBindings): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(bindings)) if (typeof value === 'string') out[name] = value;
  return out;
}

export interface WorkersConfig {
  config: Config;
  mail: Readonly<MailOptions>;
}

/**
 * The server's configuration from the Worker's bindings, through the same `loadConfig` as on Node,
 * plus what Workers cannot do: every refused value at once, as a ConfigError naming each variable.
 */
export function loadWorkersConfig(bindings: WorkersBindings): WorkersConfig {
  const env = stringBindings(bindings);
  const refused = new ErrorCollector();
  for (const [name, why] of Object.entries(REFUSED)) {
    if (env[name] !== undefined && env[name].trim() !== '') refused.add(new ConfigError(name, why));
  }
  if ((env.PYLON_SECRET ?? '').trim() === '') {
    refused.add(
      new ConfigError(
        'PYLON_SECRET',
        'is required on Workers, in development too (there is no data directory for a generated one): `wrangler secret put PYLON_SECRET` with the output of `openssl rand -hex 32`',
      ),
    );
  }
  if ((env.PYLON_PUBLIC_URL ?? '').trim() === '') {
    refused.add(new ConfigError('PYLON_PUBLIC_URL', "is required on Workers: the Worker's public URL"));
  }
  // Development's loopback check reads PYLON_HOST; on Workers the public URL alone decides.
  const config = refused.take(() => loadConfig({ ...env, PYLON_HOST: '127.0.0.1' }), null);
  const production = (config?.env ?? declaredEnvironment(env)) === 'production';
  // Refused before the mail settings are read: what SMTP would need (PYLON_SMTP_URL) is beside
  // the point when SMTP cannot run here at all.
  const smtp = (env[MAIL_VARIABLES.provider] ?? '').trim().toLowerCase() === 'smtp';
  if (smtp) {
    refused.add(
      new ConfigError(
        MAIL_VARIABLES.provider,
        'smtp is not available on Workers (no SMTP client there): use resend, sendgrid, stack0 or webhook',
      ),
    );
  }
  const mail = smtp ? null : refused.take(() => parseMailConfig(env, { production }), null);
  refused.throwIfAny();
  // No Argon2id that fits a Worker (docs/WORKERS.md): the routes and the pages' offers follow this.
  return { config: Object.freeze({ ...config!, passwords: false }), mail: mail! };
}
