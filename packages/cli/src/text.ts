/** Server text shown to a person is cut to this many characters (docs/CLI.md "Errors and exit codes"). */
export const MAX_SERVER_TEXT = 512;

// C0 and C1 control characters (escape sequences start with ESC or CSI) and the bidirectional
// overrides (CVE-2021-42574), which can make a terminal line read differently from its bytes.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/**
 * Text from outside (server messages, names, descriptions) made safe for a terminal: control
 * characters removed, then cut to `max` code points (never splitting a surrogate pair).
 */
export function sanitizeText(text: string, max = MAX_SERVER_TEXT): string {
  const cleaned = text.replace(UNSAFE, '');
  const points = Array.from(cleaned);
  return points.length <= max ? cleaned : `${points.slice(0, max - 1).join('')}…`;
}

/** Control characters removed, nothing cut: for table cells and other local output. */
export function stripControlCharacters(text: string): string {
  return text.replace(UNSAFE, '');
}
