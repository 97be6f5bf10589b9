import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { type AddressInfo, createServer as createNetServer, type Server as NetServer } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import pino from 'pino';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';

/** Test peers on 127.0.0.1 only: nothing in these tests may leave the machine. */

export const silentLogger = pino({ level: 'silent' });

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export type Reply = { status: number; body?: string; headers?: Record<string, string> } | 'hang';

export interface HTTPReceiver {
  /** `http://127.0.0.1:<port>` without a trailing slash. */
  readonly url: string;
  readonly requests: ReceivedRequest[];
  close(): Promise<void>;
}

export async function startHTTPReceiver(reply: (request: ReceivedRequest) => Reply): Promise<HTTPReceiver> {
  const requests: ReceivedRequest[] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const request: ReceivedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    };
    requests.push(request);
    const answer = reply(request);
    if (answer === 'hang') return;
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    res.end(answer.body ?? '');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** A port on 127.0.0.1 that was free a moment ago and has nothing listening on it now. */
export async function closedPort(): Promise<number> {
  const server = createNetServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/** A TCP peer that accepts connections and never says anything: an SMTP server that hangs. */
export async function startSilentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<import('node:net').Socket>();
  const server: NetServer = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    port,
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

export interface ReceivedMail {
  readonly parsed: ParsedMail;
  readonly envelope: { from: string; to: string[] };
  readonly user: string | undefined;
}

export interface SMTPSink {
  readonly port: number;
  readonly messages: ReceivedMail[];
  /** Every connection, including ones that never sent a message. */
  readonly connections: number;
  close(): Promise<void>;
}

export interface SMTPSinkOptions {
  /** Credentials the sink accepts; without them it accepts anonymous mail only. */
  credentials?: { user: string; pass: string };
  /** Answer DATA with this SMTP reply code instead of accepting. */
  rejectWith?: number;
}

/** A real SMTP server (smtp-server) on 127.0.0.1, plain text, parsing what it receives. */
export async function startSMTPSink(options: SMTPSinkOptions = {}): Promise<SMTPSink> {
  const messages: ReceivedMail[] = [];
  let connections = 0;
  const server = new SMTPServer({
    authOptional: options.credentials === undefined,
    allowInsecureAuth: true,
    disabledCommands: options.credentials === undefined ? ['STARTTLS', 'AUTH'] : ['STARTTLS'],
    logger: false,
    closeTimeout: 1000,
    onConnect(_session, callback) {
      connections += 1;
      callback();
    },
    onAuth(auth, _session, callback) {
      const expected = options.credentials;
      if (expected !== undefined && auth.username === expected.user && auth.password === expected.pass) {
        callback(null, { user: auth.username });
        return;
      }
      callback(new Error('Invalid username or password'));
    },
    onData(stream, session: SMTPServerSession, callback) {
      simpleParser(stream)
        .then((parsed) => {
          if (options.rejectWith !== undefined) {
            const error = Object.assign(new Error('Message refused by policy'), {
              responseCode: options.rejectWith,
            });
            callback(error);
            return;
          }
          const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
          messages.push({
            parsed,
            envelope: { from, to: session.envelope.rcptTo.map((rcpt) => rcpt.address) },
            user: session.user as string | undefined,
          });
          callback();
        })
        .catch((error: Error) => callback(error));
    },
  });
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  const { port } = server.server.address() as AddressInfo;
  return {
    port,
    messages,
    get connections() {
      return connections;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Run `action` and return what it threw, failing the test if it did not throw. */
export async function rejection(action: () => Promise<unknown>): Promise<Error> {
  try {
    await action();
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error('expected the action to throw');
}
