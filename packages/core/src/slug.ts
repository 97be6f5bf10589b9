/**
 * The identifier of an org or an app, as Pylon mints and accepts it: 2–64 lowercase letters,
 * digits and hyphens, starting and ending with a letter or digit. It is used unescaped as a URL
 * path segment (`/o/{orgId}`), a DNS label (org hosts), a capability's namespace and a JWT's
 * `aud`/`app`/`org` claim. `SLUG_BODY` is the pattern without anchors, to embed (an org-host
 * template); `SLUG_HTML_PATTERN` is the same for an HTML `pattern` attribute.
 */
export const SLUG_BODY = '[a-z0-9][a-z0-9-]{0,62}[a-z0-9]';

/**
 * `SLUG_BODY` as an HTML `pattern` attribute: browsers compile a pattern with the `v` flag
 * (https://html.spec.whatwg.org/multipage/input.html#compiled-pattern-regular-expression), under
 * which a `-` ending a character class must be escaped — unescaped, the pattern is invalid and the
 * browser silently checks nothing.
 */
export const SLUG_HTML_PATTERN = SLUG_BODY.replaceAll('-]', '\\-]');

export const SLUG_PATTERN = new RegExp(`^${SLUG_BODY}$`);

/** Whether `value` is a string that is a slug (`SLUG_PATTERN`). */
export function isSlug(value: unknown): value is string {
  return typeof value === 'string' && SLUG_PATTERN.test(value);
}
