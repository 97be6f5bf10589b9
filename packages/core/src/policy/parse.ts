// Policy expressions, step 2: tokens to an AST. Recursive descent over
//
//   expr       := or
//   or         := and ("||" and)*
//   and        := comparison ("&&" comparison)*
//   comparison := unary (("==" | "!=") operand | "in" "[" operand ("," operand)* "]")?
//   unary      := "!" unary | primary
//   primary    := "true" | "false" | "null" | string | "(" expr ")" | call | path
//   operand    := "null" | "true" | "false" | string | path
//   call       := "auth.hasRole" "(" string ")" | "auth.hasAnyRole" "(" string ("," string)* ")"
//               | path ".startsWith" "(" (string | path) ")" | path ".endsWith" "(" (string | path) ")"
//   path       := ("auth" "." AUTH_FIELD) | ("data" | "input") ("." SEGMENT)+
//
// `in [...]`, `startsWith`, `endsWith` and `auth.email` are our superset of the seed's grammar.
// `!` binds tighter than `==`, so `!a == b` is `(!a) == b`, as in JS. A path must start at
// `auth`, `data` or `input` and `auth.` must name a known field: an unknown one is a parse error
// (which denies) rather than a silent null that `!x` or `x == null` would turn into an allow.
// `parsePolicyExpression` never throws: every failure is a `{ ok: false }` value.

import { type Token, type TokenKind, tokenize } from './tokenize.js';

export type AuthField = 'userId' | 'isAdmin' | 'tenantId' | 'email';

export type Operand =
  | { readonly type: 'literal'; readonly value: string | boolean | null }
  | { readonly type: 'auth'; readonly field: AuthField }
  | { readonly type: 'path'; readonly root: 'data' | 'input'; readonly segments: readonly string[] };

export type PolicyExpression =
  | Operand
  | { readonly type: 'not'; readonly operand: PolicyExpression }
  | { readonly type: 'and' | 'or'; readonly operands: readonly PolicyExpression[] }
  | {
      readonly type: 'eq' | 'neq';
      readonly left: PolicyExpression;
      readonly right: Operand;
    }
  | { readonly type: 'in'; readonly left: PolicyExpression; readonly list: readonly Operand[] }
  | { readonly type: 'hasRole'; readonly roles: readonly string[]; readonly any: boolean }
  | {
      readonly type: 'startsWith' | 'endsWith';
      readonly target: Operand;
      readonly affix: Operand;
    };

export interface PolicyParseError {
  readonly message: string;
  readonly position: number;
}

export type PolicyParseResult =
  | { readonly ok: true; readonly expression: PolicyExpression }
  | { readonly ok: false; readonly error: PolicyParseError };

/** Parentheses and `!` nest at most this deep, so no input can exhaust the stack. */
export const MAX_POLICY_NESTING = 64;

// The seed's snake_case spellings are aliases of the /api/auth/me field names.
const AUTH_FIELDS: ReadonlyMap<string, AuthField> = new Map([
  ['userId', 'userId'],
  ['user_id', 'userId'],
  ['isAdmin', 'isAdmin'],
  ['is_admin', 'isAdmin'],
  ['tenantId', 'tenantId'],
  ['tenant_id', 'tenantId'],
  ['email', 'email'],
]);

const SEGMENT = /^[A-Za-z0-9_]+$/;

class ParseFailure {
  constructor(
    readonly message: string,
    readonly position: number,
  ) {}
}

export function parsePolicyExpression(source: string): PolicyParseResult {
  try {
    if (typeof source !== 'string') return { ok: false, error: { message: 'not a string', position: 0 } };
    const tokenized = tokenize(source);
    if (!tokenized.ok) return { ok: false, error: tokenized.error };
    const parser = new Parser(tokenized.tokens, source.length);
    const expression = parser.parseExpression();
    parser.expectEnd();
    return { ok: true, expression };
  } catch (error) {
    if (error instanceof ParseFailure) {
      return { ok: false, error: { message: error.message, position: error.position } };
    }
    // Not expected; still a denial, never an exception for the caller.
    return { ok: false, error: { message: 'unparseable expression', position: 0 } };
  }
}

class Parser {
  private index = 0;
  private depth = 0;

  constructor(
    private readonly tokens: readonly Token[],
    private readonly length: number,
  ) {}

  parseExpression(): PolicyExpression {
    return this.parseOr();
  }

  expectEnd(): void {
    const token = this.peek();
    if (token !== undefined) throw new ParseFailure('unexpected trailing tokens', token.position);
  }

  private peek(): Token | undefined {
    return this.tokens[this.index];
  }

  private here(): number {
    return this.peek()?.position ?? this.length;
  }

  private accept(kind: TokenKind): Token | undefined {
    const token = this.peek();
    if (token?.kind !== kind) return undefined;
    this.index += 1;
    return token;
  }

  private expect(kind: TokenKind, what: string): Token {
    const token = this.accept(kind);
    if (token === undefined) throw new ParseFailure(`expected ${what}`, this.here());
    return token;
  }

  private nested<T>(parse: () => T): T {
    this.depth += 1;
    if (this.depth > MAX_POLICY_NESTING) {
      throw new ParseFailure(`nested deeper than ${MAX_POLICY_NESTING} levels`, this.here());
    }
    const result = parse();
    this.depth -= 1;
    return result;
  }

  private parseOr(): PolicyExpression {
    const operands = [this.parseAnd()];
    while (this.accept('or')) operands.push(this.parseAnd());
    return operands.length === 1 ? operands[0]! : { type: 'or', operands };
  }

  private parseAnd(): PolicyExpression {
    const operands = [this.parseComparison()];
    while (this.accept('and')) operands.push(this.parseComparison());
    return operands.length === 1 ? operands[0]! : { type: 'and', operands };
  }

  private parseComparison(): PolicyExpression {
    const left = this.parseUnary();
    if (this.accept('eq')) return { type: 'eq', left, right: this.parseOperand() };
    if (this.accept('neq')) return { type: 'neq', left, right: this.parseOperand() };
    const next = this.peek();
    if (next?.kind === 'ident' && next.text === 'in') {
      this.index += 1;
      this.expect('lbracket', '"[" after "in"');
      const list: Operand[] = [];
      if (!this.accept('rbracket')) {
        do list.push(this.parseOperand());
        while (this.accept('comma'));
        this.expect('rbracket', '"]" to close the list');
      }
      return { type: 'in', left, list };
    }
    return left;
  }

  private parseUnary(): PolicyExpression {
    if (this.accept('not')) return this.nested(() => ({ type: 'not', operand: this.parseUnary() }));
    return this.parsePrimary();
  }

  private parsePrimary(): PolicyExpression {
    const token = this.peek();
    if (token === undefined) throw new ParseFailure('unexpected end of expression', this.length);
    if (token.kind === 'lparen') {
      this.index += 1;
      const inner = this.nested(() => this.parseOr());
      this.expect('rparen', '")"');
      return inner;
    }
    if (token.kind === 'ident' && this.tokens[this.index + 1]?.kind === 'lparen') {
      this.index += 2;
      return this.parseCall(token);
    }
    return this.parseOperand();
  }

  private parseOperand(): Operand {
    const token = this.peek();
    if (token === undefined) throw new ParseFailure('unexpected end of expression', this.length);
    this.index += 1;
    switch (token.kind) {
      case 'null':
        return { type: 'literal', value: null };
      case 'true':
        return { type: 'literal', value: true };
      case 'false':
        return { type: 'literal', value: false };
      case 'string':
        return { type: 'literal', value: token.text };
      case 'ident':
        return toPath(token.text, token.position);
      default:
        throw new ParseFailure('expected a value', token.position);
    }
  }

  /** The name and its `(` are consumed; parses the arguments and the closing `)`. */
  private parseCall(name: Token): PolicyExpression {
    if (name.text === 'auth.hasRole' || name.text === 'auth.hasAnyRole') {
      const roles: string[] = [];
      do roles.push(this.expect('string', 'a quoted role name').text);
      while (this.accept('comma'));
      this.expect('rparen', '")" after the arguments');
      if (name.text === 'auth.hasRole' && roles.length !== 1) {
        throw new ParseFailure('auth.hasRole takes exactly one role', name.position);
      }
      return { type: 'hasRole', roles, any: name.text === 'auth.hasAnyRole' };
    }
    const method = /\.(startsWith|endsWith)$/.exec(name.text);
    if (method === null) throw new ParseFailure('unknown function', name.position);
    const target = toPath(name.text.slice(0, method.index), name.position);
    const affix = this.parseOperand();
    if (affix.type === 'literal' && typeof affix.value !== 'string') {
      throw new ParseFailure(`${method[1]} takes a string or a path`, name.position);
    }
    this.expect('rparen', '")" after the argument');
    return { type: method[1] as 'startsWith' | 'endsWith', target, affix };
  }
}

function toPath(text: string, position: number): Operand {
  const [root, ...segments] = text.split('.');
  if (segments.length === 0 || !segments.every((segment) => SEGMENT.test(segment))) {
    throw new ParseFailure('expected a path such as data.field', position);
  }
  if (root === 'auth') {
    const field = segments.length === 1 ? AUTH_FIELDS.get(segments[0]!) : undefined;
    if (field === undefined) throw new ParseFailure('unknown auth field', position);
    return { type: 'auth', field };
  }
  if (root === 'data' || root === 'input') return { type: 'path', root, segments };
  throw new ParseFailure('a path starts with auth., data. or input.', position);
}
