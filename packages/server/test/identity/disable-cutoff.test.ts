import { describe, expect, it } from 'vitest';
import { issuedAfterLastDisable } from '../../src/features/identity/disable-cutoff.js';

describe('issuedAfterLastDisable: what a disable cuts off for good', () => {
  const disabledAt = 1_800_000_000_500; // ms, half-way through second 1 800 000 000

  it('passes everything for an account never disabled, even without an issue time', () => {
    expect(issuedAfterLastDisable(1, null)).toBe(true);
    expect(issuedAfterLastDisable(null, null)).toBe(true);
  });

  it('refuses what was issued before the disable, and in its second', () => {
    expect(issuedAfterLastDisable(1_799_999_999, disabledAt)).toBe(false);
    expect(issuedAfterLastDisable(1_800_000_000, disabledAt)).toBe(false);
  });

  it('passes what was issued in a later second, and refuses an unknown issue time', () => {
    expect(issuedAfterLastDisable(1_800_000_001, disabledAt)).toBe(true);
    expect(issuedAfterLastDisable(null, disabledAt)).toBe(false);
  });
});
