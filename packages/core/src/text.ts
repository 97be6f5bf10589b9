/**
 * Unicode "other" characters: controls (C0 and C1), format characters (bidi overrides and
 * isolates, LRM/RLM, zero-width joiners and spaces, soft hyphen, BOM…), lone surrogates, private
 * use and unassigned code points. Invisible or reordering, they let one name display as another
 * (a right-to-left override turns `Wiki\u202Egnp.exe` into `Wikiexe.png`) and break the lines of
 * terminals and logs.
 */
const INVISIBLE = /\p{C}/u;

/** True when `text` holds a character a person cannot see as written (see INVISIBLE). */
export function hasInvisibleCharacters(text: string): boolean {
  return INVISIBLE.test(text);
}
