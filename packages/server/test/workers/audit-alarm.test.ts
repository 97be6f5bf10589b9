import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWorker } from '../../scripts/build-worker.mjs';
import { CHECKPOINT_EVERY_MS } from '../../src/audit/maintenance.js';
import { type RunningWorker, startWorker } from './support/worker.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const ADMIN = 'admin-token-for-the-alarm-tests-0123456789';

/**
 * The audit chain's upkeep on Workers runs on the Durable Object's alarm, not on a timer that
 * would run only while the object is awake: the alarm is armed at boot, firing it signs the grown
 * chain head (a checkpoint `GET /audit/verify` counts), and the handler arms it again.
 */
describe('audit upkeep on the Durable Object alarm (miniflare)', () => {
  let worker: RunningWorker;

  const json = async (path: string, init: RequestInit = {}) => {
    const response = await worker.request(path, {
      ...init,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}`, ...init.headers },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const alarm = async (method: 'GET' | 'POST') =>
    (await json('/__test/alarm', { method })).body as { alarm: number | null; now: number };

  beforeAll(async () => {
    const file = await buildWorker(
      join(here, '../../dist/alarm-worker'),
      join(here, 'fixtures/alarm-store.ts'),
    );
    worker = await startWorker({ PYLON_ADMIN_TOKEN: ADMIN }, { bundle: readFileSync(file, 'utf8') });
  }, 120_000);
  afterAll(() => worker?.close());

  it('the alarm is armed at boot, signs the grown chain head, and is armed again', async () => {
    const health = await worker.request('/health');
    expect(health.status).toBe(200);
    const booted = await alarm('GET');
    // Armed for one checkpoint period after boot (boot happened just before this read).
    expect(booted.alarm).toEqual(expect.any(Number));
    expect(booted.alarm!).toBeGreaterThan(booted.now);
    expect(booted.alarm!).toBeLessThanOrEqual(booted.now + CHECKPOINT_EVERY_MS);

    // The chain grows: a person signs in, an app is registered for them (audited).
    const email = 'alarm-owner@example.com';
    const sent = await json('/api/auth/magic/send', { method: 'POST', body: JSON.stringify({ email }) });
    const verified = await json('/api/auth/magic/verify', {
      method: 'POST',
      body: JSON.stringify({ email, code: sent.body.dev_code }),
    });
    expect(verified.status).toBe(200);
    const registered = await json('/apps', {
      method: 'POST',
      body: JSON.stringify({ name: 'notes', owner: email }),
    });
    expect(registered.status).toBe(201);
    const before = await json('/audit/verify');
    expect(before.body).toMatchObject({ ok: true, checkpoints: 0 });
    expect(before.body.checked as number).toBeGreaterThan(0);

    // Fire the alarm now (the runtime calls the real handler), then wait for its checkpoint.
    const fired = await alarm('POST');
    let report = before.body;
    while (report.checkpoints === 0) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      report = (await json('/audit/verify')).body;
    }
    expect(report).toMatchObject({ ok: true, checkpoints: 1 });
    expect((report.last_checkpoint as { seq: number }).seq).toBe((before.body.head as { seq: number }).seq);

    // The handler armed the next run, one period after it ran.
    let next = await alarm('GET');
    while (next.alarm === null || next.alarm <= fired.now) next = await alarm('GET');
    expect(next.alarm).toBeGreaterThan(fired.now);
    expect(next.alarm).toBeLessThanOrEqual(next.now + CHECKPOINT_EVERY_MS);
  }, 60_000);
});
