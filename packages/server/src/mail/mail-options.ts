import { ConfigError, ErrorCollector } from '../config/config-error.js';
import { parseMailbox } from './address.js';
import { MAIL_DEFAULTS, PROVIDER_ENDPOINTS } from './defaults.js';

export const MAIL_PROVIDERS = ['console', 'smtp', 'webhook', 'resend', 'sendgrid', 'stack0'] as const;
export type MailProvider = (typeof MAIL_PROVIDERS)[number];
export type HTTPAPIProvider = keyof typeof PROVIDER_ENDPOINTS;

/** What `createMailer` takes; `parseMailConfig` builds it from PYLON_* variables. */
export interface MailOptions {
  provider: MailProvider;
  /** Sender, `address` or `Name <address>`. */
  from?: string;
  /** `smtp://` or `smtps://`, credentials in the userinfo. */
  smtpURL?: string;
  /** The webhook provider's URL. */
  endpoint?: string;
  /** Bearer key for resend, sendgrid and stack0; optional for webhook. */
  apiKey?: string;
  /** Replaces an HTTP API's default base URL. */
  baseURL?: string;
}

/** Options after checking: each provider gets exactly the fields it needs, none optional. */
export interface ConsoleSettings {
  readonly provider: 'console';
  readonly from: string;
}
export interface SMTPSettings {
  readonly provider: 'smtp';
  readonly from: string;
  readonly smtpURL: string;
}
export interface WebhookSettings {
  readonly provider: 'webhook';
  readonly from: string;
  readonly endpoint: string;
  readonly apiKey: string | null;
}
export interface HTTPAPISettings {
  readonly provider: HTTPAPIProvider;
  readonly from: string;
  readonly apiKey: string;
  /** Without a trailing slash; the provider appends its path. */
  readonly baseURL: string;
}
export type ResolvedMailOptions = ConsoleSettings | SMTPSettings | WebhookSettings | HTTPAPISettings;

/** The variable each option comes from, so a refusal names what the operator has to fix. */
export const MAIL_VARIABLES = {
  provider: 'PYLON_EMAIL_PROVIDER',
  from: 'PYLON_EMAIL_FROM',
  smtpURL: 'PYLON_SMTP_URL',
  endpoint: 'PYLON_EMAIL_ENDPOINT',
  apiKey: 'PYLON_EMAIL_API_KEY',
  baseURL: 'PYLON_EMAIL_BASE_URL',
} as const;

export interface MailPolicy {
  /** Refuse settings that are only acceptable on a developer's machine. */
  production?: boolean;
}

/**
 * Check options once, at start-up, so a bad setting stops the server before it serves; every
 * refused option at once (a ConfigErrors), so one restart fixes them all. Messages never echo a
 * value that may hold a secret: API keys, and URLs, which can carry credentials in userinfo or
 * query.
 */
export function resolveMailOptions(options: MailOptions, policy: MailPolicy = {}): ResolvedMailOptions {
  const production = policy.production === true;
  const errors = new ErrorCollector();
  const provider = errors.take(() => checkProvider(options.provider), null);
  const from = errors.take(() => checkFrom(options.from ?? MAIL_DEFAULTS.from, production), '');
  const settings = provider === null ? null : providerSettings(provider, from, options, production, errors);
  errors.throwIfAny();
  return settings!;
}

/** The provider's own settings; each refusal goes into `errors` and its field is left empty. */
function providerSettings(
  provider: MailProvider,
  from: string,
  options: MailOptions,
  production: boolean,
  errors: ErrorCollector,
): ResolvedMailOptions {
  switch (provider) {
    case 'console':
      if (production) {
        errors.add(
          new ConfigError(
            MAIL_VARIABLES.provider,
            'console prints sign-in codes to the log and is refused in production; use smtp, webhook, resend, sendgrid or stack0',
          ),
        );
      }
      return { provider, from };
    case 'smtp':
      return {
        provider,
        from,
        smtpURL: errors.take(() => checkSMTPURL(required(options.smtpURL, 'smtpURL', provider)), ''),
      };
    case 'webhook':
      return {
        provider,
        from,
        endpoint: errors.take(
          () => checkHTTPURL(required(options.endpoint, 'endpoint', provider), 'endpoint', production),
          '',
        ),
        apiKey: nonEmpty(options.apiKey) ?? null,
      };
    case 'resend':
    case 'sendgrid':
    case 'stack0': {
      const apiKey = errors.take(() => required(options.apiKey, 'apiKey', provider), '');
      const baseRaw = nonEmpty(options.baseURL);
      const baseURL =
        baseRaw === undefined
          ? PROVIDER_ENDPOINTS[provider].baseURL
          : errors.take(() => checkHTTPURL(baseRaw, 'baseURL', production), '');
      return { provider, from, apiKey, baseURL: baseURL.replace(/\/+$/, '') };
    }
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === '' ? undefined : trimmed;
}

function required(
  value: string | undefined,
  option: keyof typeof MAIL_VARIABLES,
  provider: MailProvider,
): string {
  const present = nonEmpty(value);
  if (present === undefined) {
    throw new ConfigError(MAIL_VARIABLES[option], `is required when ${MAIL_VARIABLES.provider}=${provider}`);
  }
  return present;
}

function checkProvider(value: string): MailProvider {
  if (!(MAIL_PROVIDERS as readonly string[]).includes(value)) {
    throw new ConfigError(MAIL_VARIABLES.provider, `must be one of ${MAIL_PROVIDERS.join(', ')}`);
  }
  return value as MailProvider;
}

function checkFrom(value: string, production: boolean): string {
  const variable = MAIL_VARIABLES.from;
  if (/[\r\n]/.test(value)) throw new ConfigError(variable, 'must not contain a line break');
  const mailbox = parseMailbox(value);
  if (mailbox === null) {
    throw new ConfigError(variable, `"${value}" is not an address or "Name <address>"`);
  }
  // The development default would be rejected by every real provider, or worse, accepted.
  if (production && mailbox.email.toLowerCase().endsWith('@localhost')) {
    throw new ConfigError(variable, 'must be a real sender address in production');
  }
  return value.trim();
}

function parseURL(value: string, variable: string): URL {
  try {
    return new URL(value);
  } catch {
    throw new ConfigError(variable, 'is not an absolute URL');
  }
}

function checkSMTPURL(value: string): string {
  const variable = MAIL_VARIABLES.smtpURL;
  const url = parseURL(value, variable);
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    throw new ConfigError(variable, 'must start with smtp:// or smtps://');
  }
  if (url.hostname === '') throw new ConfigError(variable, 'must name a host');
  return value;
}

function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** http(s) only; in production https, except a loopback sidecar that never leaves the machine. */
function checkHTTPURL(value: string, option: 'endpoint' | 'baseURL', production: boolean): string {
  const variable = MAIL_VARIABLES[option];
  const url = parseURL(value, variable);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(variable, 'must be an http:// or https:// URL');
  }
  if (production && url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new ConfigError(
      variable,
      'must be an https:// URL in production (http:// only to a loopback host)',
    );
  }
  return value;
}
