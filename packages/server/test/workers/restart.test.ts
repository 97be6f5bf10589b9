import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWorker } from '../../scripts/build-worker.mjs';
import { type RunningWorker, startWorker } from './support/worker.js';

const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * A Durable Object is evicted when idle and restarted on deploys; each time it boots again on the
 * storage it left, and that boot must find its database as it was. Once the first boot has armed
 * the alarm, the runtime keeps bookkeeping tables of its own (`_cf_*`) in the object's SQLite,
 * which the object may not read: the migrations' look at the existing tables must pass them over.
 * Miniflare persists the object's SQLite to a directory here, and each restart is a new workerd on
 * it. The bundle is the shipped one plus the `/__test/alarm` route of fixtures/alarm-store.ts,
 * which reaches the object without booting it, so an alarm can be the first thing a restarted
 * object runs.
 */
describe('a Durable Object restarted on its persisted storage (miniflare)', () => {
  let bundle: string;
  let persist: string;
  let worker: RunningWorker | undefined;

  beforeAll(async () => {
    const file = await buildWorker(
      join(here, '../../dist/restart-worker'),
      join(here, 'fixtures/alarm-store.ts'),
    );
    bundle = readFileSync(file, 'utf8');
    persist = mkdtempSync(join(tmpdir(), 'pylon-worker-restart-'));
  }, 120_000);
  afterAll(async () => {
    await worker?.close();
    rmSync(persist, { recursive: true, force: true });
  });

  /** A new workerd on the same storage and the same public URL (the port of the first start). */
  const restart = async () => {
    const port = worker ? Number(new URL(worker.url).port) : undefined;
    await worker?.close();
    worker = await startWorker({}, { bundle, persist, ...(port === undefined ? {} : { port }) });
    return worker;
  };
  const json = async (path: string, init: RequestInit = {}) => {
    const response = await worker!.request(path, {
      ...init,
      headers: { 'content-type': 'application/json', ...init.headers },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const alarm = async (method: 'GET' | 'POST') =>
    (await json('/__test/alarm', { method })).body as { alarm: number | null; now: number };
  const whoIs = async (token: string) =>
    (await json('/api/auth/me', { headers: { authorization: `Bearer ${token}` } })).body.userId;

  it('boots again, by a request or by its alarm, with its data: a session made before still works', async () => {
    // First boot: migrations, the default org, the first key, the alarm armed; then a session.
    await restart();
    expect((await json('/health')).status).toBe(200);
    const email = 'restart@example.com';
    const sent = await json('/api/auth/magic/send', { method: 'POST', body: JSON.stringify({ email }) });
    const verified = await json('/api/auth/magic/verify', {
      method: 'POST',
      body: JSON.stringify({ email, code: sent.body.dev_code }),
    });
    expect(verified.status).toBe(200);
    const token = verified.body.token as string;
    const userId = verified.body.user_id as string;
    expect((await alarm('GET')).alarm).toEqual(expect.any(Number));

    // Restarted, first woken by a request.
    await restart();
    const health = await json('/health');
    expect([health.status, health.body]).toEqual([200, { status: 'ok' }]);
    expect(await whoIs(token)).toBe(userId);

    // Restarted, first woken by its alarm: the handler boots the object, runs the upkeep and arms
    // the alarm again; a boot that failed would leave no alarm and a line in the log.
    await restart();
    const fired = await alarm('POST');
    let next = await alarm('GET');
    const failed = () => worker!.logs.some((line) => line.includes('start-up failed'));
    while ((next.alarm === null || next.alarm <= fired.now) && !failed()) next = await alarm('GET');
    expect(worker!.logs.filter((line) => line.includes('start-up failed'))).toEqual([]);
    expect(next.alarm).toBeGreaterThan(fired.now);
    expect(await whoIs(token)).toBe(userId);
    expect((await json('/health')).status).toBe(200);
  }, 120_000);
});
