import { describe, expect, it } from 'vitest';
import { type AuditEntry, AuditPosition } from '../../src/audit/audit-position.js';
import { parseSince } from '../../src/audit/since.js';

const entry = (ts: number, action = 'role.granted', target = 'x'): AuditEntry => ({
  ts,
  action,
  actor: 'admin',
  target,
  org: 'default',
});

describe('audit tail --follow position', () => {
  it('follows next_cursor while pages are full', () => {
    const position = new AuditPosition({});
    expect(position.query()).toEqual({});
    expect(position.advance({ entries: [entry(1), entry(2)], next_cursor: 'c1' })).toHaveLength(2);
    expect(position.hasMore).toBe(true);
    expect(position.query()).toEqual({ cursor: 'c1' });
  });

  it('once caught up, asks again from the last timestamp and drops what it already printed', () => {
    const position = new AuditPosition({ since: 0 });
    position.advance({ entries: [entry(1), entry(5, 'a'), entry(5, 'b')] });
    expect(position.hasMore).toBe(false);
    expect(position.query()).toEqual({ since: 5 });
    const fresh = position.advance({ entries: [entry(5, 'a'), entry(5, 'b'), entry(5, 'c'), entry(7)] });
    expect(fresh.map((e) => [e.ts, e.action])).toEqual([
      [5, 'c'],
      [7, 'role.granted'],
    ]);
    expect(position.query()).toEqual({ since: 7 });
    expect(position.advance({ entries: [entry(7)] })).toEqual([]);
  });

  it('an empty page keeps the position (a cursor stays a cursor)', () => {
    const position = new AuditPosition({ cursor: 'start' });
    expect(position.advance({ entries: [] })).toEqual([]);
    expect(position.query()).toEqual({ cursor: 'start' });
    expect(position.hasMore).toBe(false);
  });

  it('remembers entries of the last millisecond across a full page and the next partial one', () => {
    const position = new AuditPosition({});
    position.advance({ entries: [entry(3, 'a'), entry(3, 'b')], next_cursor: 'c' });
    position.advance({ entries: [entry(3, 'c')] });
    expect(position.query()).toEqual({ since: 3 });
    expect(
      position.advance({ entries: [entry(3, 'a'), entry(3, 'b'), entry(3, 'c'), entry(3, 'd')] }),
    ).toEqual([entry(3, 'd')]);
  });
});

it('two identical entries in one millisecond are both printed, once each', () => {
  const position = new AuditPosition({});
  expect(position.advance({ entries: [entry(4, 'auth.sign_in')] })).toHaveLength(1);
  // The next poll repeats the printed one and brings an identical new one.
  expect(position.advance({ entries: [entry(4, 'auth.sign_in'), entry(4, 'auth.sign_in')] })).toEqual([
    entry(4, 'auth.sign_in'),
  ]);
  expect(position.advance({ entries: [entry(4, 'auth.sign_in'), entry(4, 'auth.sign_in')] })).toEqual([]);
});

it('a re-read of the last millisecond that spans several pages skips every printed entry once', () => {
  const position = new AuditPosition({});
  position.advance({ entries: [entry(9, 'a'), entry(9, 'b')], next_cursor: 'c1' });
  position.advance({ entries: [entry(9, 'c')] });
  expect(position.query()).toEqual({ since: 9 });
  expect(position.advance({ entries: [entry(9, 'a'), entry(9, 'b')], next_cursor: 'c2' })).toEqual([]);
  expect(position.query()).toEqual({ cursor: 'c2' });
  expect(position.advance({ entries: [entry(9, 'c'), entry(9, 'd')] })).toEqual([entry(9, 'd')]);
});

describe('--since', () => {
  const now = Date.UTC(2026, 0, 2, 12);
  it.each([
    ['1700000000000', 1_700_000_000_000],
    ['15m', now - 15 * 60_000],
    ['2h', now - 2 * 3_600_000],
    ['7d', now - 7 * 86_400_000],
    ['30s', now - 30_000],
    ['2026-01-01T00:00:00Z', Date.UTC(2026, 0, 1)],
  ])('%s', (text, expected) => {
    expect(parseSince(text, now)).toBe(expected);
  });

  it.each(['yesterday', '5w', '', '-1'])('refuses %j', (text) => {
    expect(parseSince(text, now)).toBeUndefined();
  });
});
