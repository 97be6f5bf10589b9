import { describe, expect, it } from 'vitest';
import { isValidEmail } from '../src/index.js';

// Escapes keep the invisible and look-alike characters visible in the table.
const accepted: [string, string][] = [
  ['ascii', 'alice@example.com'],
  ['upper case, padded (normalised first)', '  Alice@Example.COM '],
  ['plus and dots', 'a.b+tag@mail.example.co.uk'],
  ['precomposed accent (RFC 6531)', 'jos\u00e9@example.com'],
  ['Latin capital with accent', '\u00c9lodie@exemple.fr'],
  ['CJK local part', '\u7528\u6237@example.com'],
  ['Cyrillic local part', '\u0438\u0432\u0430\u043d@example.com'],
  ['Turkish dotted capital I (lowercases to i + U+0307)', '\u0130@example.com'],
];

const refused: [string, string][] = [
  ['right-to-left override U+202E', '\u202eevil@example.com'],
  ['left-to-right embedding U+202A', 'a\u202ab@example.com'],
  ['pop directional formatting U+202C', 'ab\u202c@example.com'],
  ['right-to-left isolate U+2067', 'a\u2067b@example.com'],
  ['pop directional isolate U+2069', 'a\u2069b@example.com'],
  ['left-to-right mark U+200E', 'a\u200eb@example.com'],
  ['right-to-left mark U+200F', 'a\u200fb@example.com'],
  ['zero-width space U+200B', 'a\u200bb@example.com'],
  ['zero-width joiner U+200D', 'a\u200db@example.com'],
  ['byte-order mark U+FEFF inside', 'a\ufeffb@example.com'],
  ['soft hyphen U+00AD', 'a\u00adb@example.com'],
  ['word joiner U+2060', 'a\u2060b@example.com'],
  ['C1 control U+0085', 'a\u0085b@example.com'],
  ['NUL', 'a\u0000b@example.com'],
  ['private use U+E000', 'a\ue000b@example.com'],
  ['lone surrogate', 'a\ud800b@example.com'],
  ['fullwidth small a', '\uff41@example.com'],
  ['fullwidth capital A (lowercases to fullwidth a)', '\uff21@example.com'],
  ['fullwidth commercial at', 'a\uff20example.com'],
  ['Kelvin sign (lowercases to ASCII k, still not NFKC as given)', '\u212a@example.com'],
  ['fi ligature', '\ufb01@example.com'],
  ['superscript two', 'a\u00b2@example.com'],
  ['decomposed accent (e + U+0301, not NFC)', 'jose\u0301@example.com'],
  ['internationalised domain (never accepted: the domain is LDH)', '\u7528\u6237@\u4f8b\u5b50.\u5e7f\u544a'],
  ['no domain dot', 'alice@localhost'],
];

describe('isValidEmail', () => {
  it.each(accepted)('accepts %s', (_name, address) => {
    expect(isValidEmail(address)).toBe(true);
  });

  it.each(refused)('refuses %s', (_name, address) => {
    expect(isValidEmail(address)).toBe(false);
  });
});
