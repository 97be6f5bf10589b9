import { afterEach, describe, expect, it } from 'vitest';
import { createMailer, MailDeliveryError, MailHeaderInjectionError } from '../../src/mail/index.js';
import {
  closedPort,
  rejection,
  type SMTPSink,
  silentLogger,
  startSilentServer,
  startSMTPSink,
} from './loopback.js';

const message = {
  to: 'ada@example.com',
  subject: 'Your Pylon sign-in code',
  text: 'Use this code to sign in: 493027',
  html: '<p>Use this code to sign in: <strong>493027</strong></p>',
};

let sink: SMTPSink | undefined;
afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

describe('smtp provider against a real SMTP server on loopback', () => {
  it('delivers to, from, subject, text and html', async () => {
    sink = await startSMTPSink();
    const mailer = createMailer(
      { provider: 'smtp', smtpURL: `smtp://127.0.0.1:${sink.port}`, from: 'Pylon <no-reply@pylon.test>' },
      { logger: silentLogger },
    );
    expect(mailer.provider).toBe('smtp');

    await mailer.send(message);

    expect(sink.messages).toHaveLength(1);
    const [received] = sink.messages;
    expect(received?.envelope).toEqual({ from: 'no-reply@pylon.test', to: ['ada@example.com'] });
    const parsed = received!.parsed;
    expect(parsed.from?.value).toEqual([{ address: 'no-reply@pylon.test', name: 'Pylon' }]);
    const to = Array.isArray(parsed.to) ? parsed.to : [parsed.to];
    expect(to.flatMap((group) => group?.value ?? [])).toEqual([{ address: 'ada@example.com', name: '' }]);
    expect(parsed.subject).toBe(message.subject);
    expect(parsed.text?.trim()).toBe(message.text);
    expect(parsed.html).toBe(message.html);
  });

  it('sends a text-only message without an html part', async () => {
    sink = await startSMTPSink();
    const mailer = createMailer(
      { provider: 'smtp', smtpURL: `smtp://127.0.0.1:${sink.port}` },
      { logger: silentLogger },
    );

    await mailer.send({ to: message.to, subject: message.subject, text: message.text });

    const parsed = sink.messages[0]!.parsed;
    expect(parsed.from?.value).toEqual([{ address: 'no-reply@localhost', name: 'Pylon' }]);
    expect(parsed.text?.trim()).toBe(message.text);
    expect(parsed.html).toBe(false);
  });

  it('authenticates with the credentials in the URL', async () => {
    sink = await startSMTPSink({ credentials: { user: 'pylon', pass: 's3cret' } });
    const mailer = createMailer(
      { provider: 'smtp', smtpURL: `smtp://pylon:s3cret@127.0.0.1:${sink.port}` },
      { logger: silentLogger },
    );

    await mailer.send(message);

    expect(sink.messages[0]?.user).toBe('pylon');
  });

  it('reports wrong credentials as a delivery failure', async () => {
    sink = await startSMTPSink({ credentials: { user: 'pylon', pass: 's3cret' } });
    const mailer = createMailer(
      { provider: 'smtp', smtpURL: `smtp://pylon:wrong-password@127.0.0.1:${sink.port}` },
      { logger: silentLogger },
    );

    const error = await rejection(() => mailer.send(message));

    expect(error).toBeInstanceOf(MailDeliveryError);
    expect(error.message).not.toContain('wrong-password');
    expect(sink.messages).toHaveLength(0);
  });

  it('turns a rejected message into MailDeliveryError carrying the reply code, not the body', async () => {
    sink = await startSMTPSink({ rejectWith: 550 });
    const mailer = createMailer(
      { provider: 'smtp', smtpURL: `smtp://127.0.0.1:${sink.port}` },
      { logger: silentLogger },
    );

    const error = await rejection(() => mailer.send(message));

    expect(error).toBeInstanceOf(MailDeliveryError);
    expect(error).toMatchObject({
      code: 'EMAIL_SEND_FAILED',
      provider: 'smtp',
      failure: 'rejected',
      status: 550,
    });
    expect(error.message).not.toContain('493027');
  });

  it('reports a refused connection', async () => {
    const port = await closedPort();
    const mailer = createMailer(
      { provider: 'smtp', smtpURL: `smtp://127.0.0.1:${port}` },
      { logger: silentLogger },
    );

    const error = await rejection(() => mailer.send(message));

    expect(error).toBeInstanceOf(MailDeliveryError);
    expect(error).toMatchObject({ provider: 'smtp', failure: 'network' });
  });

  it('gives up on a server that never answers', async () => {
    const silent = await startSilentServer();
    try {
      const mailer = createMailer(
        { provider: 'smtp', smtpURL: `smtp://127.0.0.1:${silent.port}` },
        { logger: silentLogger, timeoutMs: 300 },
      );

      const error = await rejection(() => mailer.send(message));

      expect(error).toBeInstanceOf(MailDeliveryError);
      expect(error).toMatchObject({ provider: 'smtp', failure: 'timeout' });
    } finally {
      await silent.close();
    }
  });

  it('refuses header injection without opening a connection', async () => {
    sink = await startSMTPSink();
    const mailer = createMailer(
      { provider: 'smtp', smtpURL: `smtp://127.0.0.1:${sink.port}` },
      { logger: silentLogger },
    );

    const error = await rejection(() =>
      mailer.send({ ...message, subject: 'Hello\r\nBcc: everyone@example.com' }),
    );

    expect(error).toBeInstanceOf(MailHeaderInjectionError);
    expect(sink.connections).toBe(0);
    expect(sink.messages).toHaveLength(0);
  });
});
