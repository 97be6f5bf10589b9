import { describe, expect, it } from 'vitest';
import { formatTime } from '../../src/output/format.js';
import { renderTable } from '../../src/output/table.js';

describe('tables for people', () => {
  it('pads columns to the widest cell, two spaces apart, no trailing spaces', () => {
    expect(
      renderTable(
        ['APP', 'OWNER', 'STATUS'],
        [
          ['notes', 'ada@example.com', 'active'],
          ['x', 'b@c.d', ''],
        ],
      ),
    ).toBe('APP    OWNER            STATUS\nnotes  ada@example.com  active\nx      b@c.d\n');
  });

  it('server text cannot drive the terminal or break a row', () => {
    const table = renderTable(['NAME'], [['evil\u001b[2J\nsecond line\u202e']]);
    expect(table).toBe('NAME\nevil[2J second line\n');
  });

  it('times are ISO-8601 UTC to the second', () => {
    expect(formatTime(Date.UTC(2026, 10, 25, 12, 0, 0, 123))).toBe('2026-11-25T12:00:00Z');
    expect(formatTime(undefined)).toBe('');
  });
});
