// Policy expressions, step 1: characters to tokens. Pure, and it never throws: a bad character,
// an unknown escape or an unterminated string comes back as a `TokenizeFailure`, which the parser
// turns into a parse error (and a parse error denies).

export type TokenKind =
  | 'true'
  | 'false'
  | 'null'
  | 'and'
  | 'or'
  | 'not'
  | 'eq'
  | 'neq'
  | 'lparen'
  | 'rparen'
  | 'lbracket'
  | 'rbracket'
  | 'comma'
  | 'ident'
  | 'string';

export interface Token {
  readonly kind: TokenKind;
  /** The identifier's text, or the string literal's unescaped value; '' for the rest. */
  readonly text: string;
  /** Offset of the token's first character, for error messages. */
  readonly position: number;
}

export interface TokenizeFailure {
  readonly message: string;
  readonly position: number;
}

export type TokenizeResult =
  | { readonly ok: true; readonly tokens: readonly Token[] }
  | { readonly ok: false; readonly error: TokenizeFailure };

/** The only escapes a string literal may carry; anything else after `\` is an error, not a guess. */
const ESCAPES: ReadonlyMap<string, string> = new Map([
  ['\\', '\\'],
  ['"', '"'],
  ["'", "'"],
  ['n', '\n'],
  ['r', '\r'],
  ['t', '\t'],
  ['0', '\0'],
]);

const SINGLE: ReadonlyMap<string, TokenKind> = new Map([
  ['(', 'lparen'],
  [')', 'rparen'],
  ['[', 'lbracket'],
  [']', 'rbracket'],
  [',', 'comma'],
]);

// Maps, not object literals: a word such as `constructor` must not find Object.prototype.
const KEYWORDS: ReadonlyMap<string, TokenKind> = new Map([
  ['true', 'true'],
  ['false', 'false'],
  ['null', 'null'],
]);

const isIdentStart = (c: string) => /^[A-Za-z_]$/.test(c);
// Dots belong to the identifier, so `data.author.id` and `auth.hasRole` are one token each.
const isIdentPart = (c: string) => /^[A-Za-z0-9_.]$/.test(c);

export function tokenize(source: string): TokenizeResult {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (message: string, position: number): TokenizeResult => ({
    ok: false,
    error: { message, position },
  });
  while (i < source.length) {
    const c = source[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i += 1;
      continue;
    }
    const single = SINGLE.get(c);
    if (single !== undefined) {
      tokens.push({ kind: single, text: '', position: i });
      i += 1;
      continue;
    }
    const next = source[i + 1];
    if (c === '&' || c === '|' || c === '=') {
      if (next !== c) return fail(`single "${c}" (did you mean "${c}${c}"?)`, i);
      tokens.push({ kind: c === '&' ? 'and' : c === '|' ? 'or' : 'eq', text: '', position: i });
      i += 2;
      continue;
    }
    if (c === '!') {
      tokens.push({ kind: next === '=' ? 'neq' : 'not', text: '', position: i });
      i += next === '=' ? 2 : 1;
      continue;
    }
    if (c === '"' || c === "'") {
      const start = i;
      let value = '';
      i += 1;
      let closed = false;
      while (i < source.length) {
        const ch = source[i]!;
        if (ch === c) {
          closed = true;
          i += 1;
          break;
        }
        if (ch === '\\') {
          const escaped = source[i + 1];
          if (escaped === undefined) break;
          const replacement = ESCAPES.get(escaped);
          if (replacement === undefined) return fail(`unknown string escape "\\${escaped}"`, i);
          value += replacement;
          i += 2;
          continue;
        }
        value += ch;
        i += 1;
      }
      if (!closed) return fail('unterminated string literal', start);
      tokens.push({ kind: 'string', text: value, position: start });
      continue;
    }
    if (isIdentStart(c)) {
      const start = i;
      while (i < source.length && isIdentPart(source[i]!)) i += 1;
      const word = source.slice(start, i);
      tokens.push({ kind: KEYWORDS.get(word) ?? 'ident', text: word, position: start });
      continue;
    }
    // Reported by position only: the character may be anything the caller typed.
    return fail('unexpected character', i);
  }
  return { ok: true, tokens };
}
