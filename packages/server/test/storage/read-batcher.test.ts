import { describe, expect, it } from 'vitest';
import { createReadBatcher } from '../../src/storage/read-batcher.js';

interface Row {
  key: string;
  n: number;
}

/** A load the test finishes by hand: every call is recorded with its keys. */
function controlledLoad() {
  const calls: { keys: string[]; finish(rows?: Row[]): void; fail(error: Error): void }[] = [];
  const load = (keys: string[]) =>
    new Promise<Row[]>((resolve, reject) => {
      calls.push({
        keys: [...keys],
        finish: (rows) => resolve(rows ?? keys.map((key, n) => ({ key, n }))),
        fail: reject,
      });
    });
  return { calls, load };
}

/** A batcher over a controlled load, rows keyed by `key`. */
function controlledBatcher(bounds: { maxInFlight: number; maxKeys: number }, onIdle?: () => void) {
  const { calls, load } = controlledLoad();
  const batcher = createReadBatcher<string, Row>({ load, keyOf: (row) => row.key, ...bounds, onIdle });
  return { calls, batcher };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** Let the event loop turn until `done` holds (a finished load frees its slot a turn or two later). */
async function turnsUntil(done: () => boolean) {
  for (let turn = 0; turn < 10 && !done(); turn++) await nextTurn();
}

describe('createReadBatcher', () => {
  it('look-ups of one turn share one load, each distinct key once, and a missing key reads nothing', async () => {
    const { calls, batcher } = controlledBatcher({ maxInFlight: 2, maxKeys: 100 });
    const reads = [batcher.read('a'), batcher.read('b'), batcher.read('a'), batcher.read('gone')];
    await nextTurn();
    expect(calls.map((call) => call.keys)).toEqual([['a', 'b', 'gone']]);
    calls[0]!.finish([
      { key: 'a', n: 1 },
      { key: 'b', n: 2 },
    ]);
    const [a1, b, a2, gone] = await Promise.all(reads);
    expect(a1).toEqual([{ key: 'a', n: 1 }]);
    expect(b).toEqual([{ key: 'b', n: 2 }]);
    expect(a2).toEqual(a1);
    // Two callers of one key never share row objects.
    expect(a2![0]).not.toBe(a1![0]);
    expect(gone).toEqual([]);
    expect(batcher.idle()).toBe(true);
  });

  it('a look-up made while a load runs never joins it: its answer is read after it asked', async () => {
    const { calls, batcher } = controlledBatcher({ maxInFlight: 2, maxKeys: 100 });
    const first = batcher.read('a');
    await nextTurn();
    expect(calls).toHaveLength(1);
    const second = batcher.read('a');
    await nextTurn();
    // A second load started for it, after it asked; the first one is still running.
    expect(calls.map((call) => call.keys)).toEqual([['a'], ['a']]);
    calls[1]!.finish([{ key: 'a', n: 2 }]);
    calls[0]!.finish([{ key: 'a', n: 1 }]);
    expect(await first).toEqual([{ key: 'a', n: 1 }]);
    expect(await second).toEqual([{ key: 'a', n: 2 }]);
  });

  it('at most maxInFlight loads run; what arrives meanwhile goes as one load when one finishes', async () => {
    const { calls, batcher } = controlledBatcher({ maxInFlight: 1, maxKeys: 100 });
    const a = batcher.read('a');
    await nextTurn();
    const later = [batcher.read('b'), batcher.read('c')];
    await nextTurn();
    const d = batcher.read('d');
    await nextTurn();
    expect(calls.map((call) => call.keys)).toEqual([['a']]);
    calls[0]!.finish();
    await a;
    await turnsUntil(() => calls.length === 2);
    expect(calls.map((call) => call.keys)).toEqual([['a'], ['b', 'c', 'd']]);
    calls[1]!.finish();
    expect((await Promise.all([...later, d])).map((rows) => rows[0]!.key)).toEqual(['b', 'c', 'd']);
    expect(batcher.idle()).toBe(true);
  });

  it('splits a queue longer than maxKeys into several loads', async () => {
    const { calls, batcher } = controlledBatcher({ maxInFlight: 4, maxKeys: 2 });
    const reads = ['a', 'b', 'c', 'd', 'e'].map((key) => batcher.read(key));
    await nextTurn();
    expect(calls.map((call) => call.keys)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    for (const call of calls) call.finish();
    expect((await Promise.all(reads)).map((rows) => rows[0]!.key)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('a failed load rejects its own look-ups only, and the next ones load again', async () => {
    const idle: number[] = [];
    const { calls, batcher } = controlledBatcher({ maxInFlight: 2, maxKeys: 100 }, () =>
      idle.push(calls.length),
    );
    const failing = [batcher.read('a'), batcher.read('b')];
    await nextTurn();
    const other = batcher.read('c');
    await nextTurn();
    calls[0]!.fail(new Error('connection lost'));
    for (const read of failing) await expect(read).rejects.toThrow('connection lost');
    calls[1]!.finish();
    expect(await other).toEqual([{ key: 'c', n: 0 }]);
    await turnsUntil(() => idle.length > 0);
    expect(idle).toEqual([2]);
    const again = batcher.read('a');
    await nextTurn();
    calls[2]!.finish();
    expect(await again).toEqual([{ key: 'a', n: 0 }]);
  });

  it('a load that throws instead of rejecting rejects its look-ups and frees its slot', async () => {
    let throwing = true;
    const batcher = createReadBatcher<string, Row>({
      load: (keys) => {
        if (throwing) throw new Error('bad statement');
        return Promise.resolve(keys.map((key) => ({ key, n: 0 })));
      },
      keyOf: (row) => row.key,
      maxInFlight: 1,
      maxKeys: 100,
    });
    await expect(batcher.read('a')).rejects.toThrow('bad statement');
    throwing = false;
    expect(await batcher.read('a')).toEqual([{ key: 'a', n: 0 }]);
  });

  it('a row it cannot tell apart fails every look-up of its load, and none hangs', async () => {
    const batcher = createReadBatcher<string, Row>({
      load: (keys) => Promise.resolve(keys.map((key) => ({ key, n: 0 }))),
      keyOf: (row) => {
        if (row.key === 'bad') throw new Error('a row without its key');
        return row.key;
      },
      maxInFlight: 1,
      maxKeys: 100,
    });
    const reads = [batcher.read('a'), batcher.read('bad')];
    for (const read of reads) await expect(read).rejects.toThrow('a row without its key');
    expect(await batcher.read('b')).toEqual([{ key: 'b', n: 0 }]);
  });
});
