import { describe, expect, it } from 'vitest';
import {
  isLoopbackHost,
  isSameOrigin,
  joinURL,
  normalizeBaseURL,
  URLPolicyError,
} from '../../src/net/url-policy.js';

describe('https except loopback', () => {
  it.each([
    'https://pylon.example.com',
    'https://pylon.example.com:8443/o/acme',
    'http://127.0.0.1:4000',
    'http://127.10.20.30',
    'http://localhost:4000/o/default',
    'http://[::1]:4000',
    'http://[::ffff:127.0.0.1]:4000',
  ])('allows %s', (url) => {
    expect(() => normalizeBaseURL(url)).not.toThrow();
  });

  it.each([
    ['plain http to a public host', 'http://pylon.example.com'],
    ['plain http to a private address', 'http://10.0.0.5:4000'],
    ['a host that merely starts like loopback', 'http://127.0.0.1.nip.io'],
    ['a host that merely starts with localhost', 'http://localhost.evil.test'],
    ['another scheme', 'ftp://pylon.example.com'],
    ['a relative URL', '/o/acme'],
    ['credentials', 'https://user:secret@pylon.example.com'],
    ['a query', 'https://pylon.example.com/?next=x'],
    ['a fragment', 'https://pylon.example.com/#x'],
  ])('refuses %s', (_name, url) => {
    expect(() => normalizeBaseURL(url)).toThrow(URLPolicyError);
  });

  it('normalises: lowercase host, no trailing slash', () => {
    expect(normalizeBaseURL('https://Pylon.Example.COM/o/acme/')).toBe('https://pylon.example.com/o/acme');
    expect(normalizeBaseURL('http://127.0.0.1:4000/')).toBe('http://127.0.0.1:4000');
  });

  it('recognises loopback hosts as the URL parser spells them', () => {
    expect(isLoopbackHost(new URL('http://127.1').hostname)).toBe(true);
    expect(isLoopbackHost('[::1]')).toBe(true);
    expect(isLoopbackHost('128.0.0.1')).toBe(false);
    expect(isLoopbackHost('[::2]')).toBe(false);
  });
});

describe('same origin', () => {
  it('compares scheme, host and port', () => {
    expect(isSameOrigin('https://a.test/o/x', 'https://a.test')).toBe(true);
    expect(isSameOrigin('https://a.test:443/x', 'https://a.test')).toBe(true);
    expect(isSameOrigin('https://a.test:8443', 'https://a.test')).toBe(false);
    expect(isSameOrigin('http://a.test', 'https://a.test')).toBe(false);
    expect(isSameOrigin('https://evil.test/a.test', 'https://a.test')).toBe(false);
    expect(isSameOrigin('https://a.test.evil.test', 'https://a.test')).toBe(false);
    expect(isSameOrigin('not a url', 'https://a.test')).toBe(false);
  });

  it('takes localhost, 127.0.0.1 and [::1] for one host, on the same scheme and port only', () => {
    expect(isSameOrigin('http://localhost:4000/o/default', 'http://127.0.0.1:4000')).toBe(true);
    expect(isSameOrigin('http://[::1]:4000', 'http://localhost:4000/o/x')).toBe(true);
    expect(isSameOrigin('http://LOCALHOST:4000', 'http://127.0.0.1:4000')).toBe(true);
    expect(isSameOrigin('http://localhost:4001', 'http://127.0.0.1:4000')).toBe(false);
    expect(isSameOrigin('https://localhost:4000', 'http://127.0.0.1:4000')).toBe(false);
    expect(isSameOrigin('http://127.0.0.2:4000', 'http://127.0.0.1:4000')).toBe(false);
    expect(isSameOrigin('http://localhost.evil.test:4000', 'http://127.0.0.1:4000')).toBe(false);
    expect(isSameOrigin('https://a.test', 'https://localhost')).toBe(false);
  });

  it('joins paths and queries onto a base', () => {
    expect(joinURL('https://a.test/o/x', '/apps', { app_id: 'n&b', skip: undefined })).toBe(
      'https://a.test/o/x/apps?app_id=n%26b',
    );
  });
});

describe('host:port without a scheme', () => {
  it.each([
    ['localhost:4000', 'did you mean http://localhost:4000 or https://localhost:4000?'],
    [
      '127.0.0.1:4000/o/default',
      'did you mean http://127.0.0.1:4000/o/default or https://127.0.0.1:4000/o/default?',
    ],
    ['[::1]:4000', 'did you mean http://[::1]:4000 or https://[::1]:4000?'],
    ['pylon.example.com:8443', 'did you mean https://pylon.example.com:8443?'],
  ])('%s names the URL it probably meant', (raw, suggestion) => {
    expect(() => normalizeBaseURL(raw, '--org-url')).toThrow(
      new URLPolicyError(`--org-url ${JSON.stringify(raw)} has no scheme: ${suggestion}`),
    );
  });

  it('a URL with a scheme is not second-guessed', () => {
    expect(() => normalizeBaseURL('ftp://localhost:4000')).toThrow(/must use https/);
    expect(normalizeBaseURL('http://localhost:4000')).toBe('http://localhost:4000');
  });
});
