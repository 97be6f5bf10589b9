/**
 * Whether something issued at `issuedAt` (whole seconds since the epoch: a token's `iat`, a
 * grant's `auth_time`) is surely after an account's last disable (`lastDisabledAt`, ms; null
 * when it never was): what was issued before a disable is never honoured again, and an enable
 * brings none of it back. The second the disable fell in counts as before it, so a token of that
 * second is refused rather than let through; an unknown issue time counts as before.
 */
export function issuedAfterLastDisable(issuedAt: number | null, lastDisabledAt: number | null): boolean {
  if (lastDisabledAt === null) return true;
  return issuedAt !== null && issuedAt > Math.floor(lastDisabledAt / 1000);
}
