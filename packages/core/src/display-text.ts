/**
 * Unicode "other" characters: controls (C0 and C1, tab and newlines among them), format
 * characters (bidi overrides and isolates, LRM/RLM, zero-width joiners and spaces, soft hyphen,
 * BOM…), lone surrogates, private use and unassigned code points. Invisible or reordering, they
 * let one text display as another.
 */
export const INVISIBLE_CHARACTERS = /\p{C}/u;

/** The line and paragraph separators (U+2028, U+2029): a line break that is no control character. */
const LINE_BREAKS = /[\p{Zl}\p{Zp}]/u;

/**
 * Whether a name that people read as someone's claim (an OAuth client's `client_name`, shown on
 * the consent page) is plain text: no character that is invisible, reorders what follows it
 * (`Wiki\u202Egnp.exe` displays as "Wikiexe.png", and the sentence after it backwards) or breaks
 * the line. Compatibility characters (™, fullwidth letters) are allowed: unlike an address, a name
 * is never compared or looked up.
 */
export function isPlainDisplayName(name: string): boolean {
  return !INVISIBLE_CHARACTERS.test(name) && !LINE_BREAKS.test(name);
}

/** Said when a name is refused, by every way of registering one. */
export const PLAIN_DISPLAY_NAME_MESSAGE =
  'must not contain control, format (bidi, zero-width) or line-breaking characters';

/**
 * Whether text that people compare as well as read (an email address, a schema's version tag)
 * displays as what it is: no invisible character and already in NFKC form, so no fullwidth or
 * other compatibility character and no decomposed accent passes for its look-alike.
 */
export function isDisplaySafe(text: string): boolean {
  return !INVISIBLE_CHARACTERS.test(text) && text === text.normalize('NFKC');
}
