import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { safeReturnPath } from '../../src/pages/html.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

const FALLBACK = '/login/done';

describe('safeReturnPath', () => {
  it('keeps a path of this origin, normalised', () => {
    expect(safeReturnPath('/account', FALLBACK)).toBe('/account');
    expect(safeReturnPath('/invite/pyinv_x?y=1', FALLBACK)).toBe('/invite/pyinv_x?y=1');
    expect(safeReturnPath('/./account', FALLBACK)).toBe('/account');
    expect(safeReturnPath('/a/b//c', FALLBACK)).toBe('/a/b//c');
  });

  it('refuses another host, however the path is spelled', () => {
    for (const value of [
      '//evil.example',
      '/\\evil.example',
      'https://evil.example/',
      'https:evil.example',
      'javascript:alert(1)',
      // Dot segments that normalise to a path starting with `//`.
      '/.//evil.example',
      '/login/../..//evil.example',
      '/%2e%2e//evil.example',
      '/%2E/%2e//evil.example/phish',
      '/./\t/evil.example',
      '',
      'account',
    ]) {
      expect(safeReturnPath(value, FALLBACK), JSON.stringify(value)).toBe(FALLBACK);
    }
    expect(safeReturnPath(42, FALLBACK)).toBe(FALLBACK);
  });

  it('whatever it is given, a browser resolves the answer on this origin', () => {
    const piece = fc.constantFrom(
      '/',
      '.',
      '..',
      '%2e',
      '%2E',
      '\\',
      'evil.example',
      '\t',
      ':',
      '?',
      '#',
      'a',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
        const answer = safeReturnPath(pieces.join(''), FALLBACK);
        expect(new URL(answer, 'https://pylon.example').origin).toBe('https://pylon.example');
        expect(answer.startsWith('//')).toBe(false);
      }),
      { numRuns: 5000 },
    );
  });
});

describe.each(testDatabases)('return_to on the hosted pages on $kind', (database) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(database);
  });
  afterAll(() => t.close());

  it('/login/continue and the forms never send a browser to another host through dot segments', async () => {
    const value = '/.//evil.example/phish';
    const onwards = await t.request(`/login/continue?return_to=${encodeURIComponent(value)}`);
    expect(onwards.status).toBe(303);
    expect(onwards.headers.get('location')).toBe(FALLBACK);
    for (const page of ['/login', '/signup']) {
      const html = await (await t.request(`${page}?return_to=${encodeURIComponent(value)}`)).text();
      expect(html, page).not.toContain('//evil.example');
    }
  });
});
