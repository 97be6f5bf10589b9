import { MAIL_DEFAULTS } from './defaults.js';
import { MAIL_VARIABLES, type MailOptions, type MailPolicy, resolveMailOptions } from './mail-options.js';

type Env = Readonly<Record<string, string | undefined>>;

function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === '' ? undefined : value;
}

/**
 * Read the PYLON_EMAIL_* variables into mail options, checked as `createMailer` will check them,
 * so a bad value stops start-up with a ConfigError naming the variable.
 */
export function parseMailConfig(env: Env, policy: MailPolicy = {}): Readonly<MailOptions> {
  const provider = read(env, MAIL_VARIABLES.provider)?.toLowerCase() ?? MAIL_DEFAULTS.provider;
  const options: MailOptions = {
    provider: provider as MailOptions['provider'],
    from: read(env, MAIL_VARIABLES.from) ?? MAIL_DEFAULTS.from,
  };
  const optional = {
    smtpURL: read(env, MAIL_VARIABLES.smtpURL),
    endpoint: read(env, MAIL_VARIABLES.endpoint),
    apiKey: read(env, MAIL_VARIABLES.apiKey),
    baseURL: read(env, MAIL_VARIABLES.baseURL),
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) options[key as keyof typeof optional] = value;
  }
  resolveMailOptions(options, policy);
  return Object.freeze(options);
}
