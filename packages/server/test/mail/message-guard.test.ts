import { afterEach, describe, expect, it } from 'vitest';
import {
  createMailer,
  MailAddressError,
  MailHeaderInjectionError,
  type MailProvider,
} from '../../src/mail/index.js';
import { type HTTPReceiver, rejection, silentLogger, startHTTPReceiver } from './loopback.js';

const message = { to: 'ada@example.com', subject: 'Your code', text: 'Code: 493027' };

let receiver: HTTPReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

async function receiverMailer(provider: MailProvider = 'resend') {
  receiver = await startHTTPReceiver(() => ({ status: 200 }));
  const target = provider === 'webhook' ? { endpoint: receiver.url } : { baseURL: receiver.url };
  return createMailer({ provider, apiKey: 'key', ...target }, { logger: silentLogger });
}

describe('header injection', () => {
  it.each([
    ['to', { to: 'ada@example.com\r\nBcc: everyone@example.com' }],
    ['to', { to: 'ada@example.com\nBcc: everyone@example.com' }],
    ['subject', { subject: 'Hello\r\nBcc: everyone@example.com' }],
    ['subject', { subject: 'Hello\rX-Injected: 1' }],
    ['subject', { subject: 'Hello\n\nA body of our choosing' }],
  ] as const)('refuses a line break in %s before sending', async (field, override) => {
    const mailer = await receiverMailer();

    const error = await rejection(() => mailer.send({ ...message, ...override }));

    expect(error).toBeInstanceOf(MailHeaderInjectionError);
    expect(error).toMatchObject({ code: 'MAIL_HEADER_INJECTION', field });
    expect(receiver!.requests).toHaveLength(0);
  });

  it.each(['webhook', 'sendgrid', 'stack0'] as const)('guards the %s provider too', async (provider) => {
    const mailer = await receiverMailer(provider);

    await expect(mailer.send({ ...message, subject: 'a\nb' })).rejects.toBeInstanceOf(
      MailHeaderInjectionError,
    );
    expect(receiver!.requests).toHaveLength(0);
  });

  it('guards the console provider, so development catches it too', async () => {
    const mailer = createMailer({ provider: 'console' }, { logger: silentLogger });

    await expect(
      mailer.send({ ...message, to: 'a@example.com\r\nBcc: b@example.com' }),
    ).rejects.toBeInstanceOf(MailHeaderInjectionError);
    await expect(mailer.send(message)).resolves.toBeUndefined();
  });
});

describe('recipient', () => {
  it.each([
    'ada@example.com, eve@example.com',
    'ada@example.com;eve@example.com',
    'Ada <ada@example.com>',
    '<ada@example.com>',
    'ada',
    'ada@',
    '@example.com',
    'ada@@example.com',
    'ada@exa mple.com',
    ' ada@example.com',
    'ada..lovelace@example.com',
    'ada@-example.com',
    '',
    `${'a'.repeat(65)}@example.com`,
    `ada@${'a'.repeat(250)}.com`,
  ])('refuses %j as not a single address', async (to) => {
    const mailer = await receiverMailer();

    const error = await rejection(() => mailer.send({ ...message, to }));

    expect(error).toBeInstanceOf(MailAddressError);
    expect(error).toMatchObject({ code: 'INVALID_EMAIL' });
    expect(receiver!.requests).toHaveLength(0);
  });

  it.each([
    'ada@example.com',
    'ada.lovelace+pylon@mail.example.co.uk',
    "o'brien@example.ie",
    'ada@localhost',
  ])('accepts %j', async (to) => {
    const mailer = await receiverMailer();

    await mailer.send({ ...message, to });

    expect(receiver!.requests).toHaveLength(1);
  });
});
