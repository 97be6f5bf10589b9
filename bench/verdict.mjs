// A target's verdict over the rounds of one `--peers` run. Each round measures both sides of a
// ratio close together in time (interleaved), so a ratio is taken round by round, and the spread
// of those ratios says how far the machine's own drift moved it: on a virtual machine whose host
// is busy the same server's rate can move by a tenth from one round to the next. A target is
// "met" only when every round meets it, "not met" when none does, and "within noise" otherwise.

/** The median, lowest and highest of a non-empty list of numbers. */
export function acrossRounds(values) {
  if (values.length === 0) throw new Error('acrossRounds: no rounds');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], rounds: sorted.length };
}

/**
 * 'met', 'not met' or 'within noise' for a range from `acrossRounds` against `target`; `atMost`
 * for targets that are ceilings (a p99 in ms, an RSS growth) rather than floors (a ratio).
 */
export function verdict(range, target, { atMost = false } = {}) {
  const meets = (value) => (atMost ? value <= target : value >= target);
  if (meets(range.min) && meets(range.max)) return 'met';
  if (!meets(range.min) && !meets(range.max)) return 'not met';
  return 'within noise';
}
