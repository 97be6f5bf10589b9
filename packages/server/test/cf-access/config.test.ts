import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { ConfigError } from '../../src/config/config-error.js';
import { parseCFAccess } from '../../src/config/parse-cf-access.js';
import { unknownVariables } from '../../src/config/variables.js';

const AUD = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';
const both = (team: string, aud = AUD) => ({ PYLON_CF_ACCESS_TEAM_DOMAIN: team, PYLON_CF_ACCESS_AUD: aud });

/** The variable a parse refused, and why (undefined when it was accepted). */
function refusal(env: Record<string, string>, pylonEnv: 'development' | 'production' = 'production') {
  try {
    parseCFAccess(env, pylonEnv);
    return undefined;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.message;
  }
}

describe('PYLON_CF_ACCESS_TEAM_DOMAIN and PYLON_CF_ACCESS_AUD', () => {
  it('off when neither is set (or both are blank)', () => {
    expect(parseCFAccess({}, 'production')).toBeNull();
    expect(parseCFAccess(both(' ', ''), 'production')).toBeNull();
  });

  it('an https origin or a bare host is the team domain; the certs live under it', () => {
    const expected = {
      teamDomain: 'https://acme.cloudflareaccess.com',
      audience: AUD,
      certsURL: 'https://acme.cloudflareaccess.com/cdn-cgi/access/certs',
    };
    expect(parseCFAccess(both('https://acme.cloudflareaccess.com'), 'production')).toEqual(expected);
    expect(parseCFAccess(both('https://acme.cloudflareaccess.com/'), 'production')).toEqual(expected);
    expect(parseCFAccess(both('acme.cloudflareaccess.com'), 'production')).toEqual(expected);
    expect(parseCFAccess(both('ACME.cloudflareaccess.com'), 'production')).toEqual(expected);
  });

  it('one without the other is an error naming the missing one', () => {
    expect(refusal({ PYLON_CF_ACCESS_TEAM_DOMAIN: 'acme.cloudflareaccess.com' })).toContain(
      'PYLON_CF_ACCESS_AUD: is required',
    );
    expect(refusal({ PYLON_CF_ACCESS_AUD: AUD })).toContain('PYLON_CF_ACCESS_TEAM_DOMAIN: is required');
  });

  it('refuses what cannot be a team domain', () => {
    for (const team of [
      'https://acme.cloudflareaccess.com/cdn-cgi/access/certs',
      'https://acme.cloudflareaccess.com?x=1',
      'https://user:pw@acme.cloudflareaccess.com',
      'ftp://acme.cloudflareaccess.com',
      'https://',
      'not a host',
    ]) {
      expect(refusal(both(team)), team).toMatch(/^PYLON_CF_ACCESS_TEAM_DOMAIN/);
    }
  });

  it('https only; http only to a loopback host in development', () => {
    expect(refusal(both('http://acme.cloudflareaccess.com'))).toContain('must be https');
    expect(refusal(both('http://acme.cloudflareaccess.com'), 'development')).toContain('must be https');
    expect(refusal(both('http://127.0.0.1:8787'))).toContain('must be https');
    expect(parseCFAccess(both('http://127.0.0.1:8787'), 'development')?.certsURL).toBe(
      'http://127.0.0.1:8787/cdn-cgi/access/certs',
    );
  });

  it('refuses an AUD that cannot be a tag', () => {
    for (const aud of ['two words', 'a,b', 'x'.repeat(257), '"quoted"']) {
      expect(refusal(both('acme.cloudflareaccess.com', aud)), aud).toMatch(/^PYLON_CF_ACCESS_AUD/);
    }
  });

  it('loadConfig reads them into config.cfAccess, reports a half setting, and knows both names', () => {
    const base = { PYLON_SECRET: 'a'.repeat(64) };
    expect(loadConfig(base).cfAccess).toBeNull();
    expect(loadConfig({ ...base, ...both('http://localhost:9000') }).cfAccess).toMatchObject({
      teamDomain: 'http://localhost:9000',
    });
    expect(() => loadConfig({ ...base, PYLON_CF_ACCESS_AUD: AUD })).toThrow(
      /PYLON_CF_ACCESS_TEAM_DOMAIN: is required/,
    );
    expect(unknownVariables(both('x', 'y'))).toEqual([]);
  });
});
