import { describe, expect, it } from 'vitest';
import { pylonClient } from '../src/client.js';
import { normalizeOrgURL } from '../src/org-url.js';
import type { Clock } from '../src/types.js';

describe('client options fail at construction', () => {
  it('normalises orgUrl to the issuer Pylon writes', () => {
    expect(normalizeOrgURL('http://127.0.0.1:4000/o/default/')).toBe('http://127.0.0.1:4000/o/default');
    expect(normalizeOrgURL('https://Pylon.Example.com/o/acme')).toBe('https://pylon.example.com/o/acme');
    expect(normalizeOrgURL('http://localhost:4000')).toBe('http://localhost:4000');
    expect(normalizeOrgURL('http://[::1]:4000/o/a')).toBe('http://[::1]:4000/o/a');
  });

  it('refuses plain http off loopback unless opted in, and URLs with a query or credentials', () => {
    expect(() => normalizeOrgURL('http://pylon.example.com/o/acme')).toThrow(/https/);
    expect(normalizeOrgURL('http://pylon.internal/o/acme', { allowInsecureHTTP: true })).toBe(
      'http://pylon.internal/o/acme',
    );
    expect(() => normalizeOrgURL('https://pylon.example.com/o/acme?x=1')).toThrow(TypeError);
    expect(() => normalizeOrgURL('https://u:p@pylon.example.com/')).toThrow(TypeError);
    expect(() => normalizeOrgURL('ftp://pylon.example.com/')).toThrow(TypeError);
    expect(() => normalizeOrgURL('not a url')).toThrow(TypeError);
  });

  it('refuses app and org ids that are not slugs', () => {
    const base = { orgUrl: 'https://pylon.example.com/o/acme', appId: 'notes', expectedOrgId: 'acme' };
    expect(() => pylonClient(base)).not.toThrow();
    expect(() => pylonClient({ ...base, appId: 'Notes App' })).toThrow(TypeError);
    expect(() => pylonClient({ ...base, expectedOrgId: '' })).toThrow(TypeError);
  });

  it('refuses a clock that is not an object with now(), e.g. Date.now itself', () => {
    const base = { orgUrl: 'https://pylon.example.com/o/acme', appId: 'notes', expectedOrgId: 'acme' };
    expect(() => pylonClient({ ...base, clock: { now: () => Date.now() } })).not.toThrow();
    for (const clock of [Date.now, () => Date.now(), null, {}, { now: 0 }]) {
      expect(() => pylonClient({ ...base, clock: clock as unknown as Clock })).toThrow(
        /clock must be an object whose now\(\) returns milliseconds/,
      );
    }
  });
});
