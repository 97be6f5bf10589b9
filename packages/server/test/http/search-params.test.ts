import { describe, expect, it } from 'vitest';
import { searchParams } from '../../src/http/get-auth.js';

describe('searchParams (the query string a caller resolver sees)', () => {
  it('matches the WHATWG URL parser on every shape of request URL', () => {
    for (const url of [
      'http://127.0.0.1:3000/api/auth/me',
      'http://127.0.0.1:3000/api/auth/me?',
      'http://127.0.0.1:3000/api/auth/me?api_key=pk.a.b',
      'http://127.0.0.1:3000/token?a=1&a=2&b=%20x+y&c',
      'http://127.0.0.1:3000/me?x=1#frag?y=2',
      'http://127.0.0.1:3000/me#frag?y=2',
      'http://127.0.0.1:3000/me?%E2%9C%93=%F0%9F%94%91&empty=',
    ]) {
      expect([...searchParams(url)], url).toEqual([...new URL(url).searchParams]);
    }
  });

  it('gives each request its own, empty, object when there is no query', () => {
    const first = searchParams('http://127.0.0.1/me');
    first.append('api_key', 'x');
    expect([...searchParams('http://127.0.0.1/me')]).toEqual([]);
  });
});
