import { afterEach, describe, expect, it } from 'vitest';
import { createMailer, MailDeliveryError, type MailProvider } from '../../src/mail/index.js';
import {
  closedPort,
  type HTTPReceiver,
  type Reply,
  rejection,
  silentLogger,
  startHTTPReceiver,
} from './loopback.js';

const API_KEY = 'SG.secret-key-9f8e7d';
const CODE = '493027';
const message = {
  to: 'ada@example.com',
  subject: 'Your Pylon sign-in code',
  text: `Use this code to sign in: ${CODE}`,
  html: `<p>Use this code to sign in: <strong>${CODE}</strong></p>`,
};

const PROVIDERS: readonly MailProvider[] = ['webhook', 'resend', 'sendgrid', 'stack0'];

let receiver: HTTPReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

function mailerFor(provider: MailProvider, url: string, timeoutMs?: number) {
  const target = provider === 'webhook' ? { endpoint: `${url}/hook` } : { baseURL: url };
  return createMailer(
    { provider, apiKey: API_KEY, ...target },
    { logger: silentLogger, ...(timeoutMs === undefined ? {} : { timeoutMs }) },
  );
}

/** Everything an error could leak through when logged. */
function everythingSaid(error: Error): string {
  return [error.message, String(error), error.stack ?? '', JSON.stringify(error)].join('\n');
}

describe.each(PROVIDERS)('%s failures', (provider) => {
  it('turns a 500 into MailDeliveryError without the body or the key in its message', async () => {
    // A provider that echoes the request back, as validation errors often do.
    receiver = await startHTTPReceiver((request) => ({ status: 500, body: request.body }));

    const error = await rejection(() => mailerFor(provider, receiver!.url).send(message));

    expect(error).toBeInstanceOf(MailDeliveryError);
    expect(error).toMatchObject({ code: 'EMAIL_SEND_FAILED', provider, failure: 'http_status', status: 500 });
    const said = everythingSaid(error);
    expect(said).not.toContain(CODE);
    expect(said).not.toContain(API_KEY);
    expect(said).not.toContain('sign in');
    expect(receiver.requests).toHaveLength(1);
  });

  it('treats a 4xx the same way', async () => {
    receiver = await startHTTPReceiver(() => ({ status: 422, body: '{"message":"invalid from"}' }));

    const error = await rejection(() => mailerFor(provider, receiver!.url).send(message));

    expect(error).toMatchObject({ failure: 'http_status', status: 422 });
    expect(error.message).not.toContain('invalid from');
  });

  it('reports a refused connection', async () => {
    const port = await closedPort();

    const error = await rejection(() => mailerFor(provider, `http://127.0.0.1:${port}`).send(message));

    expect(error).toBeInstanceOf(MailDeliveryError);
    expect(error).toMatchObject({ provider, failure: 'network' });
    expect(everythingSaid(error)).not.toContain(API_KEY);
  });

  it('gives up on a receiver that never answers', async () => {
    receiver = await startHTTPReceiver(() => 'hang');

    const error = await rejection(() => mailerFor(provider, receiver!.url, 200).send(message));

    expect(error).toBeInstanceOf(MailDeliveryError);
    expect(error).toMatchObject({ provider, failure: 'timeout' });
  });
});

describe('redirects', () => {
  it('are not followed, so the message is never replayed elsewhere', async () => {
    const replies: Reply[] = [];
    receiver = await startHTTPReceiver(() => replies.shift() ?? { status: 200 });
    replies.push({ status: 307, headers: { location: `${receiver.url}/elsewhere` } });

    const error = await rejection(() => mailerFor('resend', receiver!.url).send(message));

    expect(error).toMatchObject({ failure: 'network' });
    expect(receiver.requests.map((request) => request.path)).toEqual(['/emails']);
  });
});
