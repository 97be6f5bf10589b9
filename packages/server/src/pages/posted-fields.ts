/** The longest text a page's field takes (an app's description): a longer value is not shown back. */
const LONGEST_FIELD = 1000;

/**
 * What a refused form had in its text fields, to fill the form again: a refusal keeps the typing
 * (docs/PAGES.md, "Refusals"). Never the CSRF token nor a password, and a value longer than any
 * field takes (refused for that) is left out rather than echoed.
 */
export function postedText(fields: object): Record<string, string> {
  return Object.fromEntries(
    Object.entries(fields).filter(
      (entry): entry is [string, string] =>
        entry[0] !== 'csrf' &&
        !entry[0].includes('password') &&
        typeof entry[1] === 'string' &&
        entry[1].length <= LONGEST_FIELD,
    ),
  );
}
