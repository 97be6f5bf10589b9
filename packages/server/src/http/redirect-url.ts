/** The URL with these query parameters set (kept: its path, its other parameters). */
export function withParams(target: string, params: Record<string, string>): string {
  const url = new URL(target);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.toString();
}
