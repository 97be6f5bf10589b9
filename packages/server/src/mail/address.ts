/**
 * Email address checks for outgoing mail. Deliberately narrower than RFC 5322: a recipient is one
 * bare `local@domain` (no display name, no comments, no list), which is all Pylon ever sends to and
 * leaves nothing for a provider or MTA to reinterpret as a second recipient.
 */

// Local part: RFC 5322 §3.2.3 atext and dots. Domain: LDH labels, or any non-ASCII for IDNs.
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN =
  /^([A-Za-z0-9\u0080-\uFFFF]([A-Za-z0-9\u0080-\uFFFF-]*[A-Za-z0-9\u0080-\uFFFF])?\.)*[A-Za-z0-9\u0080-\uFFFF]([A-Za-z0-9\u0080-\uFFFF-]*[A-Za-z0-9\u0080-\uFFFF])?$/;

/** RFC 5321 §4.5.3.1: 64 octets of local part, 254 for a usable forward path. */
const MAX_LOCAL = 64;
const MAX_ADDRESS = 254;

export function isEmailAddress(value: string): boolean {
  if (value.length > MAX_ADDRESS) return false;
  const at = value.lastIndexOf('@');
  if (at <= 0 || at === value.length - 1) return false;
  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  return local.length <= MAX_LOCAL && LOCAL_PART.test(local) && DOMAIN.test(domain);
}

export interface Mailbox {
  readonly email: string;
  readonly name?: string;
}

// `Display Name <addr>` or `"Display Name" <addr>`; the name may not contain quotes, brackets,
// backslashes or control characters, so no escaping rules are needed on either side.
const NAME_ADDR = /^(?:"([^"\\<>\p{Cc}]*)"|([^"\\<>,;:@\p{Cc}]*?))\s*<([^<>\s]+)>$/u;

/** Parse a sender (`PYLON_EMAIL_FROM`): a bare address or `Name <address>`. Null if neither. */
export function parseMailbox(value: string): Mailbox | null {
  const trimmed = value.trim();
  if (isEmailAddress(trimmed)) return { email: trimmed };
  const match = NAME_ADDR.exec(trimmed);
  if (match === null) return null;
  const email = match[3] ?? '';
  if (!isEmailAddress(email)) return null;
  const name = (match[1] ?? match[2] ?? '').trim();
  return name === '' ? { email } : { email, name };
}

/** CR or LF anywhere: the two characters that end a header line (RFC 5322 §2.2). */
export function hasLineBreak(value: string): boolean {
  return /[\r\n]/.test(value);
}
