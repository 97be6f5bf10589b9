import { describe, expect, it } from 'vitest';
import { allowedMethods } from '../../src/http/allowed-methods.js';
import type { AnyRoute } from '../../src/http/route-table.js';

const route = (method: AnyRoute['method'], path: string): AnyRoute => ({
  method,
  path,
  summary: path,
  responses: {},
  handler: (c) => c.body(null),
});

describe('allowedMethods (the 405 answer’s Allow, RFC 9110 §15.5.6)', () => {
  const methodsAt = allowedMethods([
    { prefix: '/api', routes: [route('delete', '/sessions/:id'), route('get', '/sessions/current')] },
    { prefix: '/o/:orgId', routes: [route('post', '/token'), route('options', '/token')] },
  ]);

  it('unites the methods of every path a request matches, HEAD with GET, in a fixed order', () => {
    expect(methodsAt('/api/sessions/current')).toEqual(['GET', 'HEAD', 'DELETE']);
    expect(methodsAt('/api/sessions/ses_1')).toEqual(['DELETE']);
    expect(methodsAt('/o/acme/token')).toEqual(['POST', 'OPTIONS']);
  });

  it('matches as the router does: exact segments, a parameter never empty', () => {
    expect(methodsAt('/api/sessions')).toEqual([]);
    expect(methodsAt('/api/sessions/')).toEqual([]);
    expect(methodsAt('/o//token')).toEqual([]);
    expect(methodsAt('/o/acme/token/')).toEqual([]);
  });

  it('refuses at start-up a path syntax it would read wrongly', () => {
    expect(() => allowedMethods([{ prefix: '', routes: [route('get', '/files/*')] }])).toThrow(/cannot read/);
    expect(() => allowedMethods([{ prefix: '', routes: [route('get', '/n/:id{[0-9]+}')] }])).toThrow(
      /cannot read/,
    );
  });
});
