import { capsClaimBytes, MAX_CAPS_CLAIM_BYTES, PylonError } from '@pylon/core';
import { PYLON_CAPABILITY_SET, PYLON_EXPANSION } from './builtin-schema.js';

/** What a grant's names may be checked against: the app's current schema (or the built-in one). */
export interface Grantable {
  /** archetype → its capabilities, inherits resolved. */
  archetypes: ReadonlyMap<string, readonly string[]>;
  capabilities: ReadonlySet<string>;
}

/**
 * A grant's archetype and extra capabilities, checked against what the app grants now: both must
 * exist there, and together they must fit in a scoped token's `caps` claim (MAX_CAPS_CLAIM_BYTES,
 * the bound a schema's archetypes are held to at push), or every token minted from the grant would
 * be refused by the SDK.
 */
export function checkGrant(
  allowed: Grantable,
  grant: { appId: string; archetype: string; capabilities: readonly string[] },
): void {
  const expansion = allowed.archetypes.get(grant.archetype);
  if (expansion === undefined) {
    throw new PylonError('invalid_archetype', {
      message: `${grant.archetype} is not an archetype of the current schema of ${grant.appId}`,
    });
  }
  const unknown = grant.capabilities.filter((cap) => !allowed.capabilities.has(cap));
  if (unknown.length > 0) {
    throw new PylonError('invalid_capability', {
      message: `not in the current schema of ${grant.appId}: ${unknown.join(', ')}`,
    });
  }
  const bytes = capsClaimBytes([...new Set([...expansion, ...grant.capabilities])]);
  if (bytes > MAX_CAPS_CLAIM_BYTES) {
    throw new PylonError('invalid_capability', {
      message: `${grant.archetype} with these capabilities takes ${bytes} bytes as a scoped token's caps claim; at most ${MAX_CAPS_CLAIM_BYTES} fit`,
    });
  }
}

/** The `pylon` capabilities a grant in the built-in app confers: its archetype's expansion and its extras. */
export function pylonCapabilitiesOf(grant: { archetype: string; capabilities: readonly string[] }): string[] {
  const expansion = PYLON_EXPANSION.get(grant.archetype) ?? [];
  return [...new Set([...expansion, ...grant.capabilities])]
    .filter((cap) => PYLON_CAPABILITY_SET.has(cap))
    .sort();
}

/**
 * A grant in the built-in `pylon` app hands out a share of the power to run Pylon itself, so whoever
 * gives, replaces or takes one away must hold every capability it confers: `pylon:role.manage`
 * alone would otherwise grant `pylon-admin` (to oneself, too), or revoke the grants of those who
 * hold more. The admin token and `pylon-admin` holders hold them all. `what` names the change for
 * the message, e.g. "Granting pylon-admin".
 */
export function requireHeldByGrantor(
  held: ReadonlySet<string>,
  conferred: readonly string[],
  what: string,
): void {
  const missing = conferred.filter((cap) => !held.has(cap));
  if (missing.length > 0) {
    throw new PylonError('insufficient_capability', {
      message: `${what} needs ${missing.join(', ')}, which the caller does not hold`,
    });
  }
}
