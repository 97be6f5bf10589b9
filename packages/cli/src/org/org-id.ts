import { isSlug } from '@pylon/core/slug';

/** An org id as Pylon mints it: a lowercase slug (`SLUG_PATTERN`). */
export function isOrgId(value: string): boolean {
  return isSlug(value);
}
