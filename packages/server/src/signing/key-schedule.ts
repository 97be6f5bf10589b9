/**
 * Which signing keys sign, which are published, which can go. Pure: takes the stored keys and
 * `now`. A rotated-in key is published for one key-set cache lifetime before it signs, so every
 * verifier has seen it; a retired key stays published until every token it signed has expired.
 */
export interface ScheduledKey {
  kid: string;
  activates_at: number;
}

export interface KeySchedulePolicy {
  /** Lifetime of tokens the keys sign, in seconds. */
  tokenTTLSeconds: number;
  /** Verifier clock skew allowance added on top, in seconds. */
  skewSeconds: number;
}

export interface KeySchedule<K extends ScheduledKey> {
  signing: K | null;
  published: K[];
  expired: K[];
}

export function scheduleKeys<K extends ScheduledKey>(
  keys: readonly K[],
  now: number,
  policy: KeySchedulePolicy,
): KeySchedule<K> {
  const ordered = [...keys].sort((a, b) => a.activates_at - b.activates_at || a.kid.localeCompare(b.kid));
  const active = ordered.filter((key) => key.activates_at <= now);
  const signing = active.at(-1) ?? null;
  const graceMs = (policy.tokenTTLSeconds + policy.skewSeconds) * 1000;
  const published: K[] = [];
  const expired: K[] = [];
  ordered.forEach((key, index) => {
    // A key stops signing when its successor activates; tokens it signed live graceMs longer.
    const successor = ordered.slice(index + 1).find((next) => next.activates_at <= now);
    if (successor && successor.activates_at + graceMs <= now) expired.push(key);
    else published.push(key);
  });
  return { signing, published, expired };
}
