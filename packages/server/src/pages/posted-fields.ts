/** The longest text a page's field takes (an app's description): a longer value is not shown back. */
const LONGEST_FIELD = 1000;

/**
 * Fields whose value is a secret or a credential, by name (`password`, `current_password`,
 * `client_secret`, `code`, `user_code`, `token`, `csrf`): never sent back in a page, whatever a
 * template later chooses to show.
 */
const SECRET_FIELD = /password|secret|code|token|csrf/i;

/**
 * What a refused form had in its text fields, to fill the form again: a refusal keeps the typing
 * (docs/PAGES.md, "Refusals"). Never a secret's field (SECRET_FIELD), and a value longer than any
 * field takes (refused for that) is left out rather than echoed.
 */
export function postedText(fields: object): Record<string, string> {
  return Object.fromEntries(
    Object.entries(fields).filter(
      (entry): entry is [string, string] =>
        !SECRET_FIELD.test(entry[0]) && typeof entry[1] === 'string' && entry[1].length <= LONGEST_FIELD,
    ),
  );
}
