import { afterEach, describe, expect, it } from 'vitest';
import { createMailer, type MailMessage, type MailOptions } from '../../src/mail/index.js';
import { type HTTPReceiver, type ReceivedRequest, silentLogger, startHTTPReceiver } from './loopback.js';

const API_KEY = 're_test_4f1d2c9b7a';
const message = {
  to: 'ada@example.com',
  subject: 'Your Pylon sign-in code',
  text: 'Use this code to sign in: 493027',
  html: '<p>Use this code to sign in: <strong>493027</strong></p>',
};

let receiver: HTTPReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

async function sendThrough(
  options: Omit<MailOptions, 'baseURL' | 'endpoint'>,
  status: number,
  target: 'baseURL' | 'endpoint' = 'baseURL',
  path = '',
  send: MailMessage = message,
): Promise<ReceivedRequest> {
  receiver = await startHTTPReceiver(() => ({ status, body: '{"id":"msg_1"}' }));
  const mailer = createMailer({ ...options, [target]: receiver.url + path }, { logger: silentLogger });
  expect(mailer.provider).toBe(options.provider);
  await mailer.send(send);
  expect(receiver.requests).toHaveLength(1);
  return receiver.requests[0]!;
}

describe('resend', () => {
  // https://resend.com/docs/api-reference/emails/send-email
  it('POSTs /emails with a Bearer key and to as a list', async () => {
    const request = await sendThrough(
      { provider: 'resend', apiKey: API_KEY, from: 'Pylon <no-reply@pylon.test>' },
      200,
    );

    expect(request.method).toBe('POST');
    expect(request.path).toBe('/emails');
    expect(request.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(request.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request.body)).toEqual({
      from: 'Pylon <no-reply@pylon.test>',
      to: ['ada@example.com'],
      subject: message.subject,
      text: message.text,
      html: message.html,
    });
  });

  it('keeps a base path and omits html for a text-only message', async () => {
    const request = await sendThrough({ provider: 'resend', apiKey: API_KEY }, 200, 'baseURL', '/proxy/', {
      to: message.to,
      subject: message.subject,
      text: message.text,
    });

    expect(request.path).toBe('/proxy/emails');
    expect(JSON.parse(request.body)).toEqual({
      from: 'Pylon <no-reply@localhost>',
      to: ['ada@example.com'],
      subject: message.subject,
      text: message.text,
    });
  });
});

describe('sendgrid', () => {
  // https://www.twilio.com/docs/sendgrid/api-reference/mail-send/mail-send
  it('POSTs /v3/mail/send with personalizations and text/plain before text/html', async () => {
    const request = await sendThrough(
      { provider: 'sendgrid', apiKey: API_KEY, from: 'Pylon <no-reply@pylon.test>' },
      202,
    );

    expect(request.method).toBe('POST');
    expect(request.path).toBe('/v3/mail/send');
    expect(request.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(request.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request.body)).toEqual({
      personalizations: [{ to: [{ email: 'ada@example.com' }] }],
      from: { email: 'no-reply@pylon.test', name: 'Pylon' },
      subject: message.subject,
      content: [
        { type: 'text/plain', value: message.text },
        { type: 'text/html', value: message.html },
      ],
    });
  });

  it('sends a bare sender as {email} and only the text part when there is no html', async () => {
    const request = await sendThrough(
      { provider: 'sendgrid', apiKey: API_KEY, from: 'no-reply@pylon.test' },
      202,
      'baseURL',
      '',
      { to: message.to, subject: message.subject, text: message.text },
    );

    const body = JSON.parse(request.body);
    expect(body.from).toEqual({ email: 'no-reply@pylon.test' });
    expect(body.content).toEqual([{ type: 'text/plain', value: message.text }]);
  });
});

describe('stack0 (assumed API shape)', () => {
  it('POSTs /v1/mail/send with a Bearer key and {from, to, subject, text, html}', async () => {
    const request = await sendThrough(
      { provider: 'stack0', apiKey: API_KEY, from: 'Pylon <no-reply@pylon.test>' },
      200,
    );

    expect(request.method).toBe('POST');
    expect(request.path).toBe('/v1/mail/send');
    expect(request.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(JSON.parse(request.body)).toEqual({
      from: 'Pylon <no-reply@pylon.test>',
      to: 'ada@example.com',
      subject: message.subject,
      text: message.text,
      html: message.html,
    });
  });
});

describe('webhook', () => {
  it('POSTs {to, from, subject, text, html} to the endpoint, unauthenticated by default', async () => {
    const request = await sendThrough(
      { provider: 'webhook', from: 'Pylon <no-reply@pylon.test>' },
      204,
      'endpoint',
      '/hooks/mail?tenant=1',
    );

    expect(request.method).toBe('POST');
    expect(request.path).toBe('/hooks/mail?tenant=1');
    expect(request.headers.authorization).toBeUndefined();
    expect(request.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request.body)).toEqual({
      to: 'ada@example.com',
      from: 'Pylon <no-reply@pylon.test>',
      subject: message.subject,
      text: message.text,
      html: message.html,
    });
  });

  it('sends a Bearer key when one is configured', async () => {
    const request = await sendThrough({ provider: 'webhook', apiKey: API_KEY }, 200, 'endpoint', '/mail');

    expect(request.headers.authorization).toBe(`Bearer ${API_KEY}`);
  });
});

describe('default endpoints', () => {
  // A recording fetch: checks where each provider would go without contacting it.
  it.each([
    ['resend', 'https://api.resend.com/emails'],
    ['sendgrid', 'https://api.sendgrid.com/v3/mail/send'],
    ['stack0', 'https://api.stack0.com/v1/mail/send'],
  ] as const)('%s posts to %s', async (provider, expected) => {
    const urls: string[] = [];
    const fetch: typeof globalThis.fetch = async (input) => {
      urls.push(String(input));
      return new Response(null, { status: 202 });
    };
    const mailer = createMailer({ provider, apiKey: API_KEY }, { logger: silentLogger, fetch });

    await mailer.send(message);

    expect(urls).toEqual([expected]);
  });
});
