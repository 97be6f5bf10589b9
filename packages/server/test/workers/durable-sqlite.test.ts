import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWorker } from '../../scripts/build-worker.mjs';
import { COMPATIBILITY_DATE, COMPATIBILITY_FLAGS } from './support/worker.js';

const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * The Kysely dialect over Durable Object SQLite, in workerd: interactive transactions commit and
 * roll back (across awaits), never interleave with another request's queries, and the driver
 * reports what Pylon's stores rely on (affected rows, unique violations, foreign keys, blobs).
 */
describe('Durable Object SQLite dialect (miniflare)', () => {
  let miniflare: Miniflare;
  const check = async (name: string) => {
    const response = await miniflare.dispatchFetch(`http://probe/${name}`);
    if (response.status !== 200) throw new Error(`${name}: ${response.status} ${await response.text()}`);
    return (await response.json()) as Record<string, unknown>;
  };

  beforeAll(async () => {
    const file = await buildWorker(
      join(here, '../../dist/sqlite-probe'),
      join(here, 'fixtures/sqlite-probe.ts'),
    );
    miniflare = new Miniflare({
      modules: [{ type: 'ESModule', path: 'index.js', contents: readFileSync(file, 'utf8') }],
      compatibilityDate: COMPATIBILITY_DATE,
      compatibilityFlags: COMPATIBILITY_FLAGS,
      durableObjects: { PROBE: { className: 'ProbeStore', useSQLite: true } },
    });
    await miniflare.ready;
  }, 120_000);
  afterAll(() => miniflare?.dispose());

  it('a transaction commits, and reads inside it see its own writes', async () => {
    expect(await check('commit')).toEqual({ inside: 1, after: 1 });
  });

  it('a transaction whose callback throws rolls back every write, across awaits', async () => {
    expect(await check('rollback')).toEqual({ error: 'decided against it', after: 0 });
  });

  it("another request's query waits for an open transaction and never sees its uncommitted rows", async () => {
    expect(await check('isolation')).toEqual({ transaction: 'rolled back', seenByOther: 0 });
  });

  it("a transaction awaiting runtime work finishes while another request's timer falls due", async () => {
    expect(await check('timer-outside')).toEqual({ other: 'fired', after: 2 });
  });

  it('a unique violation is recognised as one (storage/errors.ts)', async () => {
    expect(await check('unique')).toEqual({ isUniqueViolation: true });
  });

  it('foreign keys are enforced', async () => {
    expect(await check('foreign-key')).toEqual({ refused: true });
  });

  it('reports affected rows and insert ids as Kysely expects', async () => {
    const seen = await check('affected-rows');
    expect(seen).toMatchObject({ updatedNone: 0, updatedOne: 1, deleted: 1 });
    expect(seen.insertId).toBeGreaterThan(0);
  });

  it('blobs round-trip as bytes', async () => {
    expect(await check('blob')).toEqual({ isUint8Array: true, bytes: [0, 1, 2, 250, 255] });
  });

  it("applies Pylon's SQLite migrations once; a second run has nothing to do", async () => {
    const seen = await check('migrate');
    expect(seen.firstError).toBeNull();
    expect(seen.applied).toBeGreaterThan(15);
    expect(seen.secondApplied).toBe(0);
  });
});
