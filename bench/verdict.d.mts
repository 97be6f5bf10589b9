// Types for verdict.mjs (the benchmark is plain JavaScript; the test suite type-checks its use).
export interface Range {
  median: number;
  min: number;
  max: number;
  rounds: number;
}
export function acrossRounds(values: readonly number[]): Range;
export function verdict(
  range: Pick<Range, 'min' | 'max'>,
  target: number,
  options?: { atMost?: boolean },
): 'met' | 'not met' | 'within noise';
