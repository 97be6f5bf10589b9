import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Miniflare,
  MiniflareCoreError,
  type Request as MiniflareRequest,
  Response as MiniflareResponse,
} from 'miniflare';

export const WORKER_SECRET = 'b'.repeat(64);

/** The compatibility date and flags the example wrangler.toml uses (deploy/workers/wrangler.toml). */
export const COMPATIBILITY_DATE = '2026-04-01';
export const COMPATIBILITY_FLAGS = ['nodejs_compat'];

/** Where support/build.ts (this command's global setup) writes the bundle. */
const BUNDLE = fileURLToPath(new URL('../../../dist/worker/index.js', import.meta.url));

function headerRecord(headers: { forEach(visit: (value: string, name: string) => void): void }) {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    out[name] = value;
  });
  return out;
}

/** The Worker bundle that the global setup built once for the whole run. */
export async function workerBundle(): Promise<string> {
  return readFileSync(BUNDLE, 'utf8');
}

export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

export interface RunningWorker {
  /** The Worker's origin, e.g. `http://127.0.0.1:41234`. */
  url: string;
  miniflare: Miniflare;
  /** Every line the Worker wrote to stdout or stderr so far. */
  logs: string[];
  request(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

/** How many free ports startWorker tries before it gives up. */
const START_ATTEMPTS = 5;

export interface WorkerOptions {
  /** Replaces the shipped bundle's text (a fixture built from it, e.g. fixtures/alarm-store.ts). */
  bundle?: string;
  /**
   * A directory that keeps the Durable Object's SQLite and KV across starts (miniflare's
   * persistence); without it they live in memory and go with `close()`.
   */
  persist?: string;
  /** The port to bind (a restart on the same public URL); a free one is found otherwise. */
  port?: number;
}

/**
 * Pylon's Worker bundle in miniflare (workerd) on loopback: the PylonStore Durable Object with
 * SQLite storage, the PYLON_CACHE KV namespace, and `vars` as its PYLON_* bindings. Development
 * mode on the Worker's own loopback URL unless `vars` says otherwise.
 */
export async function startWorker(
  vars: Record<string, string> = {},
  options: WorkerOptions = {},
): Promise<RunningWorker> {
  if (options.port !== undefined) return startWorkerOn(options.port, vars, options);
  // workerd binds the Worker's port itself, in its own process, so it cannot be held from here
  // until then; and PYLON_PUBLIC_URL must name the port before the Worker starts, so it cannot
  // be port 0 either. Another listener may take a port found free before workerd binds it
  // (EADDRINUSE): then the whole start is tried again on another port.
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startWorkerOn(await freePort(), vars, options);
    } catch (error) {
      const taken = error instanceof MiniflareCoreError && error.code === 'ERR_ADDRESS_IN_USE';
      if (!taken || attempt >= START_ATTEMPTS) throw error;
    }
  }
}

async function startWorkerOn(
  port: number,
  vars: Record<string, string>,
  options: WorkerOptions,
): Promise<RunningWorker> {
  const url = `http://127.0.0.1:${port}`;
  const logs: string[] = [];
  const collect = (stream: NodeJS.ReadableStream) =>
    stream.on('data', (chunk: Buffer) => logs.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
  const miniflare = new Miniflare({
    modules: [{ type: 'ESModule', path: 'index.js', contents: options.bundle ?? (await workerBundle()) }],
    compatibilityDate: COMPATIBILITY_DATE,
    compatibilityFlags: COMPATIBILITY_FLAGS,
    durableObjects: { PYLON_STORE: { className: 'PylonStore', useSQLite: true } },
    kvNamespaces: ['PYLON_CACHE'],
    ...(options.persist
      ? { durableObjectsPersist: join(options.persist, 'do'), kvPersist: join(options.persist, 'kv') }
      : {}),
    bindings: {
      PYLON_ENV: 'development',
      PYLON_SECRET: WORKER_SECRET,
      PYLON_PUBLIC_URL: url,
      PYLON_LOG_LEVEL: 'info',
      PYLON_DISABLE_HIBP: '1',
      ...vars,
    },
    host: '127.0.0.1',
    port,
    // workerd's own network reaches public addresses only; the Worker's outbound requests (mail)
    // go through this process instead, so they can reach the loopback stand-ins of a test.
    outboundService: async (request: MiniflareRequest) => {
      const body = ['GET', 'HEAD'].includes(request.method) ? undefined : await request.arrayBuffer();
      const answer = await fetch(request.url, {
        method: request.method,
        headers: headerRecord(request.headers),
        body,
        redirect: 'manual',
      });
      return new MiniflareResponse(await answer.arrayBuffer(), {
        status: answer.status,
        headers: headerRecord(answer.headers),
      });
    },
    handleRuntimeStdio(stdout: NodeJS.ReadableStream, stderr: NodeJS.ReadableStream) {
      collect(stdout);
      collect(stderr);
    },
  });
  await miniflare.ready.catch(async (error: unknown) => {
    // What a failed start left (its tmp dir, its loopback server) goes too; dispose rejects with
    // the start's own error again, thrown here once.
    await miniflare.dispose().catch(() => {});
    throw error;
  });
  return {
    url,
    miniflare,
    logs,
    request: (path, init = {}) => {
      // A connection per request: once in ~20 runs a request reusing the pooled keep-alive
      // connection met ECONNRESET from workerd's side, the next request fine (a reuse race, not
      // an answer); these tests are about answers, not connection reuse.
      const headers = new Headers(init.headers);
      headers.set('connection', 'close');
      return fetch(new URL(path, url), { ...init, headers });
    },
    close: () => miniflare.dispose(),
  };
}

export interface MailSink {
  url: string;
  messages: Array<{ to: string; subject: string; text: string }>;
  /** Resolves with the next message for `to` (already received or still to come). */
  next(to: string): Promise<{ to: string; subject: string; text: string }>;
  close(): Promise<void>;
}

/** A loopback HTTP endpoint for PYLON_EMAIL_PROVIDER=webhook: the Worker's mail arrives here. */
export async function startMailSink(): Promise<MailSink> {
  const messages: MailSink['messages'] = [];
  const waiting: Array<{ to: string; resolve: (message: MailSink['messages'][number]) => void }> = [];
  const taken = new Set<number>();
  const server: Server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const message = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      messages.push(message);
      const index = waiting.findIndex((w) => w.to === message.to);
      if (index >= 0) {
        taken.add(messages.length - 1);
        waiting.splice(index, 1)[0]!.resolve(message);
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mail`,
    messages,
    next(to) {
      const index = messages.findIndex((m, i) => m.to === to && !taken.has(i));
      if (index >= 0) {
        taken.add(index);
        return Promise.resolve(messages[index]!);
      }
      return new Promise((resolve) => waiting.push({ to, resolve }));
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
