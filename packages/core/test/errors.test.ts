import { describe, expect, it } from 'vitest';
import {
  AUTH_ERROR_CODES,
  AUTH_ERRORS,
  errorSpec,
  PylonError,
  RBAC_ERROR_CODES,
  RBAC_ERRORS,
} from '../src/errors.js';

describe('error catalogue', () => {
  const entries = [...Object.entries(AUTH_ERRORS), ...Object.entries(RBAC_ERRORS)];

  it('gives every code an error status and a message a person can read', () => {
    expect(entries.length).toBeGreaterThan(80);
    for (const [code, spec] of entries) {
      expect(spec.status, code).toBeGreaterThanOrEqual(400);
      expect(spec.status, code).toBeLessThanOrEqual(599);
      expect(spec.message.trim(), code).not.toBe('');
    }
  });

  it('spells identity codes UPPER_SNAKE and RBAC codes snake_case, as the wire shows them', () => {
    for (const code of AUTH_ERROR_CODES) expect(code).toMatch(/^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/);
    for (const code of RBAC_ERROR_CODES) expect(code).toMatch(/^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/);
    expect(AUTH_ERROR_CODES).toEqual(Object.keys(AUTH_ERRORS));
    expect(RBAC_ERROR_CODES).toEqual(Object.keys(RBAC_ERRORS));
  });

  it('answers a code that exists on both surfaces with one status', () => {
    const shared = RBAC_ERROR_CODES.filter((code) => errorSpec(code.toUpperCase()) !== undefined);
    // Not vacuous: validation_failed / VALIDATION_FAILED is on both surfaces.
    expect(shared).toContain('validation_failed');
    for (const code of shared) {
      expect(RBAC_ERRORS[code].status, code).toBe(errorSpec(code.toUpperCase())?.status);
    }
  });

  it('knows only its own codes', () => {
    expect(errorSpec('INVALID_CODE')).toEqual({ status: 401, message: expect.any(String) });
    expect(errorSpec('nope')).toBeUndefined();
    expect(errorSpec('toString')).toBeUndefined();
  });
});

describe('PylonError', () => {
  it('takes its status and default message from the catalogue', () => {
    const error = new PylonError('org_mismatch');
    expect(error.status).toBe(401);
    expect(error.code).toBe('org_mismatch');
    expect(error.message).toBe(RBAC_ERRORS.org_mismatch.message);
    expect(error.headers).toEqual({});
    expect(error.hint).toBeUndefined();
  });

  it('keeps a throw site’s more specific message, hint, headers and cause', () => {
    const cause = new Error('root');
    const error = new PylonError('RATE_LIMITED', {
      message: 'Slow down',
      hint: 'try again in 60 s',
      headers: { 'Retry-After': '60' },
      cause,
    });
    expect(error).toMatchObject({ status: 429, message: 'Slow down', hint: 'try again in 60 s' });
    expect(error.headers).toEqual({ 'Retry-After': '60' });
    expect(error.cause).toBe(cause);
  });

  it('refuses a code outside the catalogue', () => {
    expect(() => new PylonError('NO_SUCH_CODE' as never)).toThrow('Unknown error code: NO_SUCH_CODE');
  });
});
