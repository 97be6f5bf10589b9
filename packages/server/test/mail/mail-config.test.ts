import { describe, expect, it } from 'vitest';
import { ConfigError, ConfigErrors } from '../../src/config/config.js';
import { createMailer, type MailOptions, parseMailConfig } from '../../src/mail/index.js';
import { silentLogger } from './loopback.js';

const API_KEY = 're_very_secret_key_123';

function configFailure(action: () => unknown): ConfigError {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseMailConfig', () => {
  it('defaults to the console provider and the development sender', () => {
    const options = parseMailConfig({});

    expect(options).toEqual({ provider: 'console', from: 'Pylon <no-reply@localhost>' });
    expect(Object.isFrozen(options)).toBe(true);
  });

  it('reads every variable', () => {
    expect(
      parseMailConfig({
        PYLON_EMAIL_PROVIDER: ' Resend ',
        PYLON_EMAIL_API_KEY: API_KEY,
        PYLON_EMAIL_FROM: 'Acme <auth@acme.test>',
        PYLON_EMAIL_BASE_URL: 'https://mail-proxy.acme.test/resend',
        PYLON_SMTP_URL: '',
      }),
    ).toEqual({
      provider: 'resend',
      apiKey: API_KEY,
      from: 'Acme <auth@acme.test>',
      baseURL: 'https://mail-proxy.acme.test/resend',
    });
    expect(
      parseMailConfig({ PYLON_EMAIL_PROVIDER: 'smtp', PYLON_SMTP_URL: 'smtps://u:p@smtp.acme.test:465' }),
    ).toMatchObject({ provider: 'smtp', smtpURL: 'smtps://u:p@smtp.acme.test:465' });
    expect(
      parseMailConfig({
        PYLON_EMAIL_PROVIDER: 'webhook',
        PYLON_EMAIL_ENDPOINT: 'https://hooks.acme.test/mail',
      }),
    ).toMatchObject({ provider: 'webhook', endpoint: 'https://hooks.acme.test/mail' });
  });

  it.each([
    [{ PYLON_EMAIL_PROVIDER: 'mailgun' }, 'PYLON_EMAIL_PROVIDER'],
    [{ PYLON_EMAIL_PROVIDER: 'smtp' }, 'PYLON_SMTP_URL'],
    [{ PYLON_EMAIL_PROVIDER: 'smtp', PYLON_SMTP_URL: 'smtp.acme.test:587' }, 'PYLON_SMTP_URL'],
    [{ PYLON_EMAIL_PROVIDER: 'smtp', PYLON_SMTP_URL: 'http://smtp.acme.test' }, 'PYLON_SMTP_URL'],
    [{ PYLON_EMAIL_PROVIDER: 'webhook' }, 'PYLON_EMAIL_ENDPOINT'],
    [
      { PYLON_EMAIL_PROVIDER: 'webhook', PYLON_EMAIL_ENDPOINT: 'ftp://hooks.acme.test' },
      'PYLON_EMAIL_ENDPOINT',
    ],
    [{ PYLON_EMAIL_PROVIDER: 'resend' }, 'PYLON_EMAIL_API_KEY'],
    [{ PYLON_EMAIL_PROVIDER: 'sendgrid', PYLON_EMAIL_API_KEY: '  ' }, 'PYLON_EMAIL_API_KEY'],
    [{ PYLON_EMAIL_PROVIDER: 'stack0' }, 'PYLON_EMAIL_API_KEY'],
    [
      { PYLON_EMAIL_PROVIDER: 'resend', PYLON_EMAIL_API_KEY: 'k', PYLON_EMAIL_BASE_URL: 'not a url' },
      'PYLON_EMAIL_BASE_URL',
    ],
    [{ PYLON_EMAIL_FROM: 'not an address' }, 'PYLON_EMAIL_FROM'],
    [{ PYLON_EMAIL_FROM: 'a@example.com, b@example.com' }, 'PYLON_EMAIL_FROM'],
    [{ PYLON_EMAIL_FROM: 'Pylon <no-reply@pylon.test>\r\nBcc: x@example.com' }, 'PYLON_EMAIL_FROM'],
  ])('refuses %j, naming %s', (env, variable) => {
    const error = configFailure(() => parseMailConfig(env));

    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
  });

  it('never echoes an API key or SMTP password in an error', () => {
    const bad = [
      { PYLON_EMAIL_PROVIDER: 'smtp', PYLON_SMTP_URL: `http://user:${API_KEY}@smtp.acme.test` },
      {
        PYLON_EMAIL_PROVIDER: 'resend',
        PYLON_EMAIL_API_KEY: API_KEY,
        PYLON_EMAIL_BASE_URL: `ftp://x/${API_KEY}`,
      },
      { PYLON_EMAIL_PROVIDER: 'webhook', PYLON_EMAIL_ENDPOINT: `ftp://hooks.acme.test/?token=${API_KEY}` },
    ];
    for (const env of bad) {
      expect(configFailure(() => parseMailConfig(env)).message).not.toContain(API_KEY);
    }
  });

  describe('in production', () => {
    const production = { production: true };
    const from = { PYLON_EMAIL_FROM: 'Acme <auth@acme.test>' };

    it('refuses the console provider, explicit or default', () => {
      expect(configFailure(() => parseMailConfig(from, production)).variable).toBe('PYLON_EMAIL_PROVIDER');
      expect(
        configFailure(() => parseMailConfig({ ...from, PYLON_EMAIL_PROVIDER: 'console' }, production))
          .variable,
      ).toBe('PYLON_EMAIL_PROVIDER');
    });

    it('refuses the development sender', () => {
      const error = configFailure(() =>
        parseMailConfig({ PYLON_EMAIL_PROVIDER: 'resend', PYLON_EMAIL_API_KEY: 'k' }, production),
      );
      expect(error.variable).toBe('PYLON_EMAIL_FROM');
    });

    it('refuses plain http except to a loopback sidecar', () => {
      const webhook = { ...from, PYLON_EMAIL_PROVIDER: 'webhook' };
      expect(
        configFailure(() =>
          parseMailConfig({ ...webhook, PYLON_EMAIL_ENDPOINT: 'http://hooks.acme.test' }, production),
        ).variable,
      ).toBe('PYLON_EMAIL_ENDPOINT');
      expect(
        configFailure(() =>
          parseMailConfig(
            {
              ...from,
              PYLON_EMAIL_PROVIDER: 'sendgrid',
              PYLON_EMAIL_API_KEY: 'k',
              PYLON_EMAIL_BASE_URL: 'http://10.0.0.5',
            },
            production,
          ),
        ).variable,
      ).toBe('PYLON_EMAIL_BASE_URL');
      expect(
        parseMailConfig({ ...webhook, PYLON_EMAIL_ENDPOINT: 'http://127.0.0.1:8025/mail' }, production),
      ).toMatchObject({ endpoint: 'http://127.0.0.1:8025/mail' });
    });

    it('names every refused setting at once, not one a run', () => {
      const variables = (env: Record<string, string>) => {
        const error = configFailure(() => parseMailConfig(env, production));
        expect(error).toBeInstanceOf(ConfigErrors);
        return (error as ConfigErrors).errors.map((each) => each.variable);
      };
      expect(variables({})).toEqual(['PYLON_EMAIL_FROM', 'PYLON_EMAIL_PROVIDER']);
      expect(variables({ PYLON_EMAIL_PROVIDER: 'resend' })).toEqual([
        'PYLON_EMAIL_FROM',
        'PYLON_EMAIL_API_KEY',
      ]);
      expect(
        variables({ PYLON_EMAIL_PROVIDER: 'sendgrid', PYLON_EMAIL_BASE_URL: 'http://mail.acme.test' }),
      ).toEqual(['PYLON_EMAIL_FROM', 'PYLON_EMAIL_API_KEY', 'PYLON_EMAIL_BASE_URL']);
      expect(variables({ PYLON_EMAIL_PROVIDER: 'smtp', PYLON_EMAIL_FROM: 'nobody' })).toEqual([
        'PYLON_EMAIL_FROM',
        'PYLON_SMTP_URL',
      ]);
    });

    it('accepts a real provider', () => {
      expect(
        parseMailConfig({ ...from, PYLON_EMAIL_PROVIDER: 'sendgrid', PYLON_EMAIL_API_KEY: 'k' }, production),
      ).toMatchObject({ provider: 'sendgrid' });
    });
  });
});

describe('createMailer option checks', () => {
  it.each([
    [{ provider: 'smtp' }, 'PYLON_SMTP_URL'],
    [{ provider: 'webhook' }, 'PYLON_EMAIL_ENDPOINT'],
    [{ provider: 'resend' }, 'PYLON_EMAIL_API_KEY'],
    [{ provider: 'sendgrid', apiKey: 'k', baseURL: 'file:///etc' }, 'PYLON_EMAIL_BASE_URL'],
    [{ provider: 'console', from: 'x\n@y' }, 'PYLON_EMAIL_FROM'],
    [{ provider: 'pigeon' as MailOptions['provider'] }, 'PYLON_EMAIL_PROVIDER'],
  ] as const)('%j fails at creation, naming %s', (options, variable) => {
    expect(configFailure(() => createMailer(options as MailOptions, { logger: silentLogger })).variable).toBe(
      variable,
    );
  });

  it('round-trips parseMailConfig into createMailer', () => {
    const options = parseMailConfig({ PYLON_EMAIL_PROVIDER: 'stack0', PYLON_EMAIL_API_KEY: 'k' });
    expect(createMailer(options, { logger: silentLogger }).provider).toBe('stack0');
  });
});
