/**
 * Orders strings by UTF-16 code units — what the canonical form and the pylon-cli reference use —
 * rather than by locale, so output is identical on every machine.
 */
export function compareCodeUnits(a: string, b: string): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}

export function sortNames(names: readonly string[]): string[] {
  return [...names].sort(compareCodeUnits);
}

export function sortByName<T extends { readonly name: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => compareCodeUnits(a.name, b.name));
}
