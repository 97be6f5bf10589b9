import { readFileSync } from 'node:fs';
import { errorSpec } from '@pylon/core';
import { ConfigError } from '@pylon/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { securityHeaderEntries } from '../../src/http/middleware/security-headers.js';
import { workersFetch } from '../../src/platform/fetch-web.js';
import { loadWorkersConfig } from '../../src/workers/config.js';
import { createWorkersLogger } from '../../src/workers/logger.js';
import {
  COMPATIBILITY_DATE,
  COMPATIBILITY_FLAGS,
  type RunningWorker,
  startWorker,
} from './support/worker.js';

// As `openssl rand -hex 32` makes them: production refuses an obviously made-up one.
const SECRET = 'c41e9a07f25b8d63e0a91c4f7b32d58e6f0c27a9d13b84e5a6f92c07d8e1b345';
const base = {
  PYLON_SECRET: SECRET,
  PYLON_PUBLIC_URL: 'https://pylon.example.com',
  PYLON_ENV: 'production',
  PYLON_EMAIL_PROVIDER: 'webhook',
  PYLON_EMAIL_ENDPOINT: 'https://mail.example.com/hook',
  PYLON_EMAIL_FROM: 'Pylon <pylon@example.com>',
};

const refusedProblems = (bindings: Record<string, unknown>): ConfigError[] => {
  try {
    loadWorkersConfig(bindings);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return 'errors' in error ? (error.errors as ConfigError[]) : [error];
  }
};

const refusedVariables = (bindings: Record<string, unknown>): string[] =>
  refusedProblems(bindings)
    .map((e) => e.variable)
    .sort();

describe('Workers configuration: what cannot work is refused at start-up', () => {
  it('loads a production configuration from the bindings, ignoring the non-string ones', () => {
    const { config, mail } = loadWorkersConfig({
      ...base,
      PYLON_STORE: { idFromName() {} },
      PYLON_CACHE: {},
    });
    expect(config.env).toBe('production');
    expect(config.publicURL).toBe('https://pylon.example.com');
    expect(mail.provider).toBe('webhook');
    // No passwords on Workers: the routes and the hosted pages' offers follow this one value.
    expect(config.passwords).toBe(false);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('requires PYLON_SECRET and PYLON_PUBLIC_URL, in development too', () => {
    expect(refusedVariables({ PYLON_ENV: 'development' })).toEqual(['PYLON_PUBLIC_URL', 'PYLON_SECRET']);
  });

  it('refuses SMTP mail, a database URL, a data directory and the Node-only listener settings, all at once', () => {
    expect(
      refusedVariables({
        ...base,
        PYLON_EMAIL_PROVIDER: 'smtp',
        PYLON_SMTP_URL: 'smtp://mail.example.com:587',
        PYLON_DATABASE_URL: 'sqlite:./data/pylon.db',
        PYLON_DATA_DIR: './data',
        PYLON_PORT: '4000',
        PYLON_HOST: '0.0.0.0',
        PYLON_WORKERS: '4',
        PYLON_METRICS_PORT: '9464',
        PYLON_TRUSTED_PROXIES: '10.0.0.1',
        PYLON_SHUTDOWN_GRACE_MS: '1000',
      }),
    ).toEqual(
      [
        'PYLON_DATABASE_URL',
        'PYLON_DATA_DIR',
        'PYLON_EMAIL_PROVIDER',
        'PYLON_HOST',
        'PYLON_METRICS_PORT',
        'PYLON_PORT',
        'PYLON_SHUTDOWN_GRACE_MS',
        'PYLON_TRUSTED_PROXIES',
        'PYLON_WORKERS',
      ].sort(),
    );
  });

  it('refuses SMTP as not available on Workers, not as lacking PYLON_SMTP_URL (in any case)', () => {
    for (const provider of ['smtp', ' SMTP ']) {
      const refusal = refusedProblems({ ...base, PYLON_EMAIL_PROVIDER: provider, PYLON_SMTP_URL: '' });
      expect(refusal.map((e) => e.variable)).toEqual(['PYLON_EMAIL_PROVIDER']);
      expect(refusal[0]!.message).toContain('smtp is not available on Workers');
    }
  });

  it("still refuses what loadConfig refuses on Node (here: production's http public URL)", () => {
    expect(refusedVariables({ ...base, PYLON_PUBLIC_URL: 'http://pylon.example.com' })).toEqual([
      'PYLON_PUBLIC_URL',
    ]);
  });
});

describe('Workers logger', () => {
  it('writes JSON lines with the same redaction as on Node', () => {
    const lines: string[] = [];
    const logger = createWorkersLogger('info', (line) => lines.push(line));
    logger.info(
      { token: 't0ken', nested: { password: 'pw', code: '123456' }, headers: { cookie: 'c' } },
      'hello',
    );
    logger.debug('not at info');
    const record = JSON.parse(lines[0]!);
    expect(lines).toHaveLength(1);
    expect(record).toMatchObject({
      level: 30,
      msg: 'hello',
      token: '[redacted]',
      nested: { password: '[redacted]', code: '[redacted]' },
      headers: { cookie: '[redacted]' },
    });
    expect(lines[0]).not.toMatch(/t0ken|123456|"pw"/);
  });

  it('serialises errors and keeps child bindings', () => {
    const lines: string[] = [];
    const logger = createWorkersLogger('info', (line) => lines.push(line)).child({ worker: 'x' });
    logger.error({ err: new Error('boom') }, 'failed');
    expect(JSON.parse(lines[0]!)).toMatchObject({ worker: 'x', err: { type: 'Error', message: 'boom' } });
    expect(logger.isLevelEnabled('debug')).toBe(false);
  });
});

describe("Workers fetch: redirect 'error' as Node's fetch means it", () => {
  const answering = (status: number, headers: Record<string, string> = {}) =>
    workersFetch(async (_input, init) => {
      expect(init?.redirect).toBe('manual');
      return new Response(null, { status, headers });
    });

  it('a redirect answer fails, a plain one passes', async () => {
    await expect(
      answering(302, { location: 'https://elsewhere.example' })('https://a.example', { redirect: 'error' }),
    ).rejects.toThrow(TypeError);
    expect((await answering(202)('https://a.example', { redirect: 'error' })).status).toBe(202);
  });
});

describe('a Worker whose configuration is refused', () => {
  let worker: RunningWorker;
  beforeAll(async () => {
    worker = await startWorker({ PYLON_EMAIL_PROVIDER: 'smtp', PYLON_SMTP_URL: 'smtp://mail.example.com' });
  }, 120_000);
  afterAll(() => worker?.close());

  it('answers 503 naming the settings (not their values) and logs what to change', async () => {
    const answer = await worker.request('/health');
    expect(answer.status).toBe(503);
    const body = (await answer.json()) as { error: string; variables: string[] };
    expect(body, JSON.stringify(body)).toMatchObject({
      error: 'configuration_error',
      variables: ['PYLON_EMAIL_PROVIDER'],
    });
    expect(JSON.stringify(body)).not.toContain('mail.example.com');
    expect(worker.logs.join('\n')).toContain('smtp is not available on Workers');
  });

  it('answers in the shape of the surface, with the request id and security headers of every answer', async () => {
    const rbac = await worker.request('/token', { method: 'POST', headers: { 'x-request-id': 'edge-7' } });
    expect([rbac.status, rbac.headers.get('retry-after')]).toEqual([503, '30']);
    expect(await rbac.json()).toEqual({
      error: 'configuration_error',
      message: errorSpec('configuration_error')!.message,
      variables: ['PYLON_EMAIL_PROVIDER'],
    });
    expect(rbac.headers.get('x-request-id')).toBe('edge-7');

    const identity = await worker.request('/api/auth/me');
    expect(identity.status).toBe(503);
    expect(await identity.json()).toEqual({
      error: {
        code: 'CONFIGURATION_ERROR',
        message: errorSpec('CONFIGURATION_ERROR')!.message,
        variables: ['PYLON_EMAIL_PROVIDER'],
      },
    });
    const requestId = identity.headers.get('x-request-id')!;
    expect(requestId).toMatch(/^[0-9a-f]{12}-[0-9a-z]+$/);
    for (const [name, value] of securityHeaderEntries({ https: false })) {
      expect(identity.headers.get(name), name).toBe(value);
    }
    expect(identity.headers.get('content-type')).toBe('application/json');
    // The log line of the refusal carries the request id of the answer.
    expect(
      worker.logs.some((line) => line.includes(requestId) && line.includes('invalid configuration')),
    ).toBe(true);
  });
});

describe('deploy/workers/wrangler.toml', () => {
  const toml = readFileSync(new URL('../../../../deploy/workers/wrangler.toml', import.meta.url), 'utf8');

  it('declares what these tests run: the date and flags, the SQLite Durable Object class, KV', () => {
    expect(toml).toContain(`compatibility_date = "${COMPATIBILITY_DATE}"`);
    expect(toml).toContain(`compatibility_flags = ${JSON.stringify(COMPATIBILITY_FLAGS).replace(',', ', ')}`);
    expect(toml).toMatch(/name = "PYLON_STORE"\nclass_name = "PylonStore"/);
    expect(toml).toContain('new_sqlite_classes = ["PylonStore"]');
    expect(toml).toContain('binding = "PYLON_CACHE"');
    expect(toml).toContain('main = "../../packages/server/dist/worker/index.js"');
    // Secrets are put with `wrangler secret put`, never written in the file.
    expect(toml).not.toMatch(/^PYLON_(SECRET|ADMIN_TOKEN|EMAIL_API_KEY)\s*=/m);
  });
});
