import { describe, expect, it } from 'vitest';
import { isPlainDisplayName } from '../src/index.js';

const accepted: Array<[string, string]> = [
  ['a plain name', 'Wiki'],
  ['spaces and punctuation', 'Notes desktop — team edition (beta)'],
  ['accents and other scripts', 'Café Ωmega 日本語 עברית'],
  ['a trademark sign and fullwidth letters (compatibility characters)', 'Notes™ Ｗｉｋｉ'],
  ['an emoji with a variation selector', 'Notes \u270f\ufe0f'],
];

const refused: Array<[string, string]> = [
  ['a right-to-left override', 'Wiki\u202egnp.exe'],
  ['a left-to-right override', 'Wiki\u202dx'],
  ['a bidi isolate', 'Wiki\u2067x\u2069'],
  ['a right-to-left mark', 'Wiki\u200f'],
  ['a zero-width space', 'Wi\u200bki'],
  ['a zero-width joiner', 'Wi\u200dki'],
  ['a byte order mark', '\ufeffWiki'],
  ['a soft hyphen', 'Wi\u00adki'],
  ['a newline', 'Wiki\nAllow this'],
  ['a carriage return', 'Wiki\rx'],
  ['a tab', 'Wiki\tx'],
  ['a NUL', 'Wiki\u0000'],
  ['a C1 control (NEL)', 'Wiki\u0085x'],
  ['a line separator', 'Wiki\u2028x'],
  ['a paragraph separator', 'Wiki\u2029x'],
  ['a private use character', 'Wiki\ue000'],
  ['a lone surrogate', 'Wiki\ud800'],
];

describe('isPlainDisplayName', () => {
  it.each(accepted)('accepts %s', (_name, name) => {
    expect(isPlainDisplayName(name)).toBe(true);
  });

  it.each(refused)('refuses %s', (_name, name) => {
    expect(isPlainDisplayName(name)).toBe(false);
  });
});
