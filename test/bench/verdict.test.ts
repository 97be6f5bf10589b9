import { describe, expect, it } from 'vitest';
import { acrossRounds, verdict } from '../../bench/verdict.mjs';

describe('the benchmark verdict over rounds', () => {
  it('takes the median, the lowest and the highest of the rounds', () => {
    expect(acrossRounds([0.26, 0.22, 0.24])).toEqual({ median: 0.24, min: 0.22, max: 0.26, rounds: 3 });
    expect(acrossRounds([2, 1])).toEqual({ median: 1.5, min: 1, max: 2, rounds: 2 });
    expect(acrossRounds([5])).toEqual({ median: 5, min: 5, max: 5, rounds: 1 });
    expect(() => acrossRounds([])).toThrow('no rounds');
  });

  it('calls a floor met only when every round meets it, not met when none does', () => {
    expect(verdict({ min: 0.25, max: 0.3 }, 0.25)).toBe('met');
    expect(verdict({ min: 0.2, max: 0.249 }, 0.25)).toBe('not met');
    expect(verdict({ min: 0.22, max: 0.26 }, 0.25)).toBe('within noise');
  });

  it('reads a ceiling (a p99, a growth) the other way round', () => {
    expect(verdict({ min: 2, max: 3 }, 3, { atMost: true })).toBe('met');
    expect(verdict({ min: 4, max: 5 }, 3, { atMost: true })).toBe('not met');
    expect(verdict({ min: 3, max: 4 }, 3, { atMost: true })).toBe('within noise');
  });
});
