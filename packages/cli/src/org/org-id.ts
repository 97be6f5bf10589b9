/** An org id as Pylon mints it: a lowercase slug. */
export const ORG_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}[a-z0-9]$/;

export function isOrgId(value: string): boolean {
  return ORG_ID_PATTERN.test(value);
}
