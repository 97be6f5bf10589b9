import { hasDuplicateMemberNames } from '@pylon/core/jwt-checks';
import { describe, expect, it } from 'vitest';

describe('hasDuplicateMemberNames (RFC 7515 §5.2 step 4, RFC 7519 §4)', () => {
  it('finds a name given twice in any object, after unescaping', () => {
    for (const text of [
      '{"alg":"none","alg":"EdDSA"}',
      '{ "a" : 1 , "a" : 2 }',
      '{"alg":"EdDSA","\\u0061lg":"none"}',
      '{"x":{"k":1,"k":2}}',
      '[{"k":1},{"j":[{"k":1,"k":1}]}]',
      '{"__proto__":1,"__proto__":2}',
    ]) {
      expect(hasDuplicateMemberNames(text), text).toBe(true);
    }
  });

  it('does not mistake values, nested objects or escaped quotes for repeated names', () => {
    for (const text of [
      '{"alg":"EdDSA","kid":"alg"}',
      '{"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]}',
      '{"k\\"":"\\"k\\"","k":"k\\\\"}',
      '{"a":[],"b":{},"c":[1,"a",{"a":"a"}]}',
      '["a","a"]',
      '"a"',
      '{}',
    ]) {
      JSON.parse(text); // the precondition: the scan only ever sees parsed JSON
      expect(hasDuplicateMemberNames(text), text).toBe(false);
    }
  });

  it('fails closed (and terminates) on text that breaks the precondition', () => {
    expect(hasDuplicateMemberNames('{"a')).toBe(true);
    expect(hasDuplicateMemberNames('{"a\\')).toBe(true);
  });
});
