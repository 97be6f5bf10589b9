import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { metricsPortHandler } from '../../src/metrics/metrics-endpoint.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, TEST_SECRET, type TestServer } from '../support/server.js';

const METRICS_TOKEN = 'm'.repeat(40);
const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

/** The value of one series in a Prometheus text exposition, or 0 when it is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const present = (match[2] ?? '').split(',');
    if (wanted.every((pair) => present.includes(pair))) return Number(match[3]);
  }
  return 0;
}

describe.each(testDatabases)('/metrics on $kind', (database) => {
  let t: TestServer;
  const scrape = async () => {
    const response = await t.request('/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    return response.text();
  };
  const signIn = async (email: string) => {
    const sent = await t.request('/api/auth/magic/send', json({ email }));
    const { dev_code: code } = (await sent.json()) as { dev_code: string };
    const verified = await t.request('/api/auth/magic/verify', json({ email, code }));
    expect(verified.status).toBe(200);
    return ((await verified.json()) as { token: string }).token;
  };

  beforeAll(async () => {
    t = await startTestServer(database, { env: { PYLON_METRICS_TOKEN: METRICS_TOKEN } });
  });
  afterAll(() => t.close());

  it('refuses a scrape without the token, or with a wrong one, and names no secret', async () => {
    for (const authorization of [
      undefined,
      'Bearer wrong',
      `Basic ${METRICS_TOKEN}`,
      `Bearer ${METRICS_TOKEN}x`,
    ]) {
      const response = await t.request('/metrics', { headers: authorization ? { authorization } : {} });
      expect(response.status, authorization).toBe(401);
      expect(response.headers.get('www-authenticate')).toContain('Bearer');
      const body = (await response.json()) as { error: string };
      expect(body.error).toBe('unauthorized');
      expect(JSON.stringify(body)).not.toContain(METRICS_TOKEN);
    }
  });

  it('counts requests by route pattern and status, never by URL', async () => {
    await t.request('/o/default/health');
    await t.request('/api/auth/users/some-user-id-123/disable', { method: 'POST' });
    await t.request('/no/such/path/with-an-id-456');
    const text = await scrape();
    expect(sample(text, 'pylon_http_requests_total', { route: '/o/:orgId/health', status: '200' })).toBe(1);
    expect(sample(text, 'pylon_http_requests_total', { route: 'unmatched', status: '404' })).toBeGreaterThan(
      0,
    );
    expect(text).toContain('pylon_http_request_duration_seconds_bucket{');
    expect(text).not.toContain('some-user-id-123');
    expect(text).not.toContain('with-an-id-456');
    expect(text).toContain('route="/api/auth/users/:id/disable"');
  });

  it('counts sign-ins by method and result, token mints and database queries, with no secret in them', async () => {
    const token = await signIn('metrics-person@example.com');
    const wrong = await t.request(
      '/api/auth/magic/verify',
      json({ email: 'metrics-person@example.com', code: '000000' }),
    );
    expect(wrong.status).toBe(401);
    const badPassword = await t.request(
      '/api/auth/password/login',
      json({ email: 'metrics-person@example.com', password: 'not the password' }),
    );
    expect(badPassword.status).toBe(401);
    const minted = await t.request('/api/auth/jwt', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(minted.status).toBe(200);
    const text = await scrape();
    expect(sample(text, 'pylon_sign_ins_total', { method: 'magic_code', result: 'success' })).toBe(1);
    expect(sample(text, 'pylon_sign_ins_total', { method: 'magic_code', result: 'failed' })).toBe(1);
    expect(sample(text, 'pylon_sign_ins_total', { method: 'password', result: 'failed' })).toBe(1);
    expect(sample(text, 'pylon_tokens_minted_total')).toBe(1);
    expect(sample(text, 'pylon_db_query_duration_seconds_count', { operation: 'select' })).toBeGreaterThan(0);
    expect(sample(text, 'pylon_db_query_duration_seconds_count', { operation: 'insert' })).toBeGreaterThan(0);
    expect(text).toContain('pylon_event_loop_delay_seconds{quantile="0.99"}');
    expect(sample(text, 'pylon_process_resident_memory_bytes')).toBeGreaterThan(0);
    if (database.kind === 'postgres') {
      expect(sample(text, 'pylon_db_pool_connections', { state: 'total' })).toBeGreaterThan(0);
      expect(text).not.toContain('pylon_db_read_cache_total{');
      expect(text).not.toMatch(/^pylon_db_wal_syncs_total /m);
      expect(text).not.toMatch(/^pylon_db_wal_checkpoints_total /m);
    } else {
      expect(sample(text, 'pylon_db_read_cache_total', { outcome: 'miss' })).toBeGreaterThan(0);
      // The sign-ins above wrote and waited for the WAL's fsync.
      expect(sample(text, 'pylon_db_wal_syncs_total')).toBeGreaterThan(0);
      expect(sample(text, 'pylon_db_wal_sync_seconds_total')).toBeGreaterThan(0);
      // One per 128 write transactions: exposed from the start, whatever its count so far.
      expect(text).toMatch(/^pylon_db_wal_checkpoints_total \d+$/m);
    }
    expect(text).not.toContain(token);
    expect(text).not.toContain('metrics-person');
    expect(text).not.toContain(TEST_SECRET);
  });

  it('counts rate-limit refusals (429) by route', async () => {
    const limited = await startTestServer(database, {
      env: { PYLON_RATE_LIMIT_SIGN_INS_PER_IP_MINUTE: '1' },
    });
    try {
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 3; attempt++) {
        const response = await limited.request(
          '/api/auth/password/login',
          json({ email: 'limited@example.com', password: 'whatever it is' }),
        );
        statuses.push(response.status);
      }
      expect(statuses).toContain(429);
      const text = await (await limited.request('/metrics')).text();
      expect(sample(text, 'pylon_rate_limit_refusals_total', { route: '/api/auth/password/login' })).toBe(
        statuses.filter((status) => status === 429).length,
      );
    } finally {
      await limited.close();
    }
  });
});

describe('where /metrics is served', () => {
  const production = {
    PYLON_ENV: 'production',
    PYLON_SECRET: TEST_SECRET,
    PYLON_PUBLIC_URL: 'https://pylon.example.com',
    PYLON_DISABLE_HIBP: '1',
  };

  it('production serves it on the main port only behind the token', () => {
    expect(loadConfig(production).metrics).toEqual({ token: null, port: null, onMainPort: false });
    expect(loadConfig({ ...production, PYLON_METRICS_TOKEN: METRICS_TOKEN }).metrics.onMainPort).toBe(true);
    expect(loadConfig({ ...production, PYLON_METRICS_PORT: '9464' }).metrics).toEqual({
      token: null,
      port: 9464,
      onMainPort: false,
    });
    expect(loadConfig({}).metrics.onMainPort).toBe(true);
  });

  it('refuses a short token and a metrics port equal to the main one at start-up', () => {
    expect(() => loadConfig({ ...production, PYLON_METRICS_TOKEN: 'short' })).toThrow(/PYLON_METRICS_TOKEN/);
    expect(() => loadConfig({ PYLON_PORT: '4000', PYLON_METRICS_PORT: '4000' })).toThrow(
      /PYLON_METRICS_PORT/,
    );
    expect(() => loadConfig({ PYLON_METRICS_PORT: 'nine' })).toThrow(/PYLON_METRICS_PORT/);
  });

  it.each(testDatabases)('a production server without the token answers 404 on $kind', async (database) => {
    const t = await startTestServer(database, { env: { ...production } });
    try {
      const response = await t.request('/metrics');
      expect(response.status).toBe(404);
      expect(((await response.json()) as { error: string }).error).toBe('not_found');
    } finally {
      await t.close();
    }
  });

  it('the metrics port answers GET /metrics, with the token when one is set, and nothing else', async () => {
    const metrics = createMetrics();
    try {
      const handler = metricsPortHandler(metrics, { token: METRICS_TOKEN, port: 9464, onMainPort: false });
      const at = (path: string, init?: RequestInit) =>
        handler(new Request(`http://127.0.0.1:9464${path}`, init));
      expect((await at('/metrics')).status).toBe(401);
      const ok = await at('/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('pylon_http_requests_total');
      expect((await at('/health')).status).toBe(404);
      expect((await at('/metrics', { method: 'POST' })).status).toBe(404);
    } finally {
      metrics.close();
    }
  });
});
