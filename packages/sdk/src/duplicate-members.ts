/**
 * Whether a JSON text has an object with the same member name twice, at any depth. `JSON.parse`
 * keeps the last one silently, so `{"alg":"none","alg":"EdDSA"}` would read as EdDSA to one parser
 * and `none` to another; RFC 7515 §5.2 (step 4) says to reject such a header instead.
 *
 * Precondition: `text` already parsed as JSON. The scan then only has to tell a member name from
 * a value and compare names after unescaping (`"\u0061lg"` is `"alg"`).
 */
export function hasDuplicateMemberNames(text: string): boolean {
  // One entry per open container: the names seen so far in an object, null for an array.
  const open: Array<Set<string> | null> = [];
  let expectName = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '"') {
      let end = i + 1;
      // Bounded even if the precondition is broken: never loop past the end.
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      if (end >= text.length) return true;
      if (expectName) {
        const name = JSON.parse(text.slice(i, end + 1)) as string;
        const names = open[open.length - 1]!;
        if (names.has(name)) return true;
        names.add(name);
        expectName = false;
      }
      i = end;
    } else if (char === '{') {
      open.push(new Set());
      expectName = true;
    } else if (char === '[') {
      open.push(null);
    } else if (char === '}' || char === ']') {
      open.pop();
      expectName = false;
    } else if (char === ',') {
      expectName = open[open.length - 1] instanceof Set;
    }
  }
  return false;
}
