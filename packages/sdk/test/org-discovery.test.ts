import { describe, expect, it } from 'vitest';
import { pylonClient } from '../src/client.js';
import { OrgDiscoveryError, TokenInvalidError } from '../src/errors.js';
import type { PylonEvent } from '../src/events.js';
import { pylonGuard } from '../src/guard.js';
import { checkDiscovery } from '../src/org-discovery.js';
import { canonicalIssuer, isSameOrigin } from '../src/org-url.js';
import { fakePylon, manualClock } from './support/fake-pylon.js';
import { APP_ID, NOW_MS, ORG_ID, ORG_URL, scopedClaims, sign, signingKey } from './support/keys.js';

function setup(pylon = fakePylon()) {
  const clock = manualClock(NOW_MS);
  const events: PylonEvent[] = [];
  const warnings: string[] = [];
  const client = pylonClient({
    orgUrl: ORG_URL,
    appId: APP_ID,
    expectedOrgId: ORG_ID,
    fetch: pylon.fetch,
    clock,
    onEvent: (...event) => events.push(event),
    logger: { warn: (message) => warnings.push(message) },
  });
  return { client, clock, events, warnings, pylon };
}

describe('issuers: loopback names are one host, everything else compared as written', () => {
  it('canonicalIssuer and isSameOrigin', () => {
    const same = ['http://localhost:4000/o/a', 'http://127.0.0.1:4000/o/a', 'http://[::1]:4000/o/a'];
    for (const a of same) {
      for (const b of same) {
        expect(canonicalIssuer(a)).toBe(canonicalIssuer(b));
        expect(isSameOrigin(a, b)).toBe(true);
      }
    }
    for (const other of [
      'http://localhost:4001/o/a', // the port still counts
      'https://localhost:4000/o/a',
      'http://127.0.0.2:4000/o/a', // another loopback address can be another process
      'http://localhost:4000/o/a/',
      'http://localhost:4000/o/b',
      'http://localhost.example.com:4000/o/a',
    ]) {
      expect(canonicalIssuer(other)).not.toBe(canonicalIssuer(same[0]!));
    }
    expect(isSameOrigin('http://localhost:4000/x', 'http://localhost:4001/x')).toBe(false);
    expect(isSameOrigin('https://pylon.example.com/o/a', 'https://pylon.example.com')).toBe(true);
    expect(isSameOrigin('https://pylon.example.com', 'https://evil.example.com')).toBe(false);
  });

  it('accepts a token whose iss spells the loopback host differently, but not another port', async () => {
    const key = await signingKey('k1');
    const { client, events } = setup(fakePylon([key]));
    for (const iss of ['http://localhost:4000/o/acme', 'http://[::1]:4000/o/acme']) {
      expect(await client.resolve({ bearer: await sign(key, scopedClaims({ iss })) })).not.toBeNull();
    }
    const otherPort = await sign(key, scopedClaims({ iss: 'http://localhost:4001/o/acme' }));
    expect(await client.resolve({ bearer: otherPort })).toBeNull();
    expect(events).toContainEqual(['token.verify.failed', { reason: 'wrong_issuer' }]);
  });
});

describe('checkDiscovery (pure)', () => {
  const given = 'http://127.0.0.1:4000';
  const check = (body: unknown, expectedOrgId = 'default') =>
    checkDiscovery(body, given, expectedOrgId, { allowInsecureHTTP: false });

  it('keeps the host that was given and takes the api_url path', () => {
    expect(check({ id: 'default', name: 'Default', api_url: 'http://localhost:4000/o/default' })).toEqual({
      id: 'default',
      name: 'Default',
      api_url: 'http://localhost:4000/o/default',
      baseURL: 'http://127.0.0.1:4000/o/default',
    });
  });

  it('refuses another origin, another org, and answers that are not a discovery', () => {
    expect(() => check({ id: 'default', name: 'D', api_url: 'https://evil.example.com/o/default' })).toThrow(
      /on another origin: refused/,
    );
    expect(() => check({ id: 'default', name: 'D', api_url: 'http://127.0.0.1:4001/o/default' })).toThrow(
      OrgDiscoveryError,
    );
    expect(() =>
      check({ id: 'default', name: 'D', api_url: 'http://127.0.0.1:4000/o/default' }, 'acme'),
    ).toThrow(/serves org "default", but expectedOrgId is "acme"/);
    for (const body of [undefined, null, 'x', { id: 'default' }, { id: 1, api_url: given }]) {
      expect(() => check(body)).toThrow(/did not answer \{id, name, api_url\}/);
    }
    expect(() => check({ id: 'default', name: 'D', api_url: 'not a url' })).toThrow(/not a usable URL/);
  });
});

describe('discovery through the client', () => {
  it('is made once, lazily, and shared by concurrent verifications', async () => {
    const key = await signingKey('k1');
    const { client, pylon, events } = setup(fakePylon([key]));
    expect(pylon.discoveries()).toBe(0);
    const tokens = await Promise.all(Array.from({ length: 20 }, () => sign(key)));
    expect((await Promise.all(tokens.map((bearer) => client.resolve({ bearer })))).every(Boolean)).toBe(true);
    expect(await client.discover()).toEqual({ id: ORG_ID, name: 'Acme', api_url: ORG_URL });
    expect(pylon.discoveries()).toBe(1);
    expect(events.filter(([name]) => name === 'org.discovered')).toEqual([
      ['org.discovered', { id: ORG_ID, api_url: ORG_URL }],
    ]);
  });

  it('an api_url on another origin: refused, said once to the logger, 503 from the guard; no key set fetched', async () => {
    const key = await signingKey('k1');
    const pylon = fakePylon([key]);
    pylon.state.discovery = { id: ORG_ID, name: 'Acme', api_url: 'https://pylon.example.com/o/acme' };
    const { client, clock, events, warnings } = setup(pylon);
    const error = await client.verify(await sign(key)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OrgDiscoveryError);
    expect(error).toMatchObject({ code: 'org_discovery_failed' });
    expect((error as Error).message).toContain('https://pylon.example.com/o/acme');
    await expect(client.resolve({ bearer: await sign(key) })).rejects.toBeInstanceOf(OrgDiscoveryError);
    await expect(client.mintScopedToken()).rejects.toThrow(); // no session either way
    const guarded = await pylonGuard(client).hono(
      {
        req: { raw: new Request('http://x/', { headers: { authorization: `Bearer ${await sign(key)}` } }) },
        set() {},
      },
      async () => {},
    );
    expect(guarded?.status).toBe(503);
    // Backing off: one request so far, whatever the number of calls.
    expect(pylon.discoveries()).toBe(1);
    clock.advance(1000);
    await expect(client.discover()).rejects.toBeInstanceOf(OrgDiscoveryError);
    expect(pylon.discoveries()).toBe(2);
    expect(pylon.keySetFetches()).toBe(0);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^@pylon\/sdk: .*on another origin: refused/);
    expect(events.filter(([name]) => name === 'org.discovery_failed').map(([, detail]) => detail)).toEqual([
      expect.objectContaining({ failures: 1, retry_in_ms: 1000 }),
      expect.objectContaining({ failures: 2, retry_in_ms: 2000 }),
    ]);
  });

  it('a wrong org id, or a Pylon that is down, then recovers', async () => {
    const key = await signingKey('k1');
    const pylon = fakePylon([key]);
    pylon.state.discovery = { id: 'other', name: 'Other', api_url: ORG_URL };
    const { client, clock } = setup(pylon);
    await expect(client.discover()).rejects.toThrow(/serves org "other", but expectedOrgId is "acme"/);
    pylon.state.discoveryStatus = 503;
    clock.advance(1000);
    await expect(client.discover()).rejects.toThrow(/answered 503/);
    pylon.state.discoveryStatus = 200;
    pylon.state.discovery = { id: ORG_ID, name: 'Acme', api_url: ORG_URL };
    clock.advance(2000);
    expect(await client.resolve({ bearer: await sign(key) })).not.toBeNull();
  });
});

describe('the issuer-mismatch warning', () => {
  it('is given once, through onEvent and the logger, when signed tokens name another issuer', async () => {
    const key = await signingKey('k1');
    const { client, events, warnings } = setup(fakePylon([key]));
    const foreign = () => sign(key, scopedClaims({ iss: 'https://pylon.example.com/o/acme' }));
    for (let i = 0; i < 3; i++) {
      await expect(client.verify(await foreign())).rejects.toBeInstanceOf(TokenInvalidError);
    }
    const message =
      '@pylon/sdk: tokens are issued by https://pylon.example.com/o/acme but this client expects ' +
      `${ORG_URL}: set orgUrl to https://pylon.example.com/o/acme (or, if that is not where this Pylon is reached, set PYLON_PUBLIC_URL on the server)`;
    expect(warnings).toEqual([message]);
    expect(events.filter(([name]) => name === 'org.issuer_mismatch')).toEqual([
      [
        'org.issuer_mismatch',
        { token_issuer: 'https://pylon.example.com/o/acme', expected_issuer: ORG_URL, message },
      ],
    ]);
  });

  it('is not given once a token has verified (a stray token is not a misconfiguration), nor for unsigned claims', async () => {
    const key = await signingKey('k1');
    const stranger = await signingKey('k1');
    const { client, warnings } = setup(fakePylon([key]));
    // A forged token never reaches the claims: nothing it says can prompt the warning.
    await client.resolve({ bearer: await sign(stranger, scopedClaims({ iss: 'https://evil.example' })) });
    expect(warnings).toEqual([]);
    expect(await client.resolve({ bearer: await sign(key) })).not.toBeNull();
    await client.resolve({
      bearer: await sign(key, scopedClaims({ iss: 'https://pylon.example.com/o/acme' })),
    });
    expect(warnings).toEqual([]);
  });

  it('another org’s token (anyone can create an org and mint one) is wrong_org and never prompts it', async () => {
    const key = await signingKey('k1');
    const { client, events, warnings } = setup(fakePylon([key]));
    const crossOrg = [
      // What Bob mints in the org `evil` he created, for an app he also called `notes`.
      scopedClaims({ iss: 'http://127.0.0.1:4000/o/evil', org: 'evil' }),
      // The same, at an org host of its own, or under any other URL: its `org` says whose it is.
      scopedClaims({ iss: 'https://evil.pylon.example.com', org: 'evil' }),
      // An api_url of another org on this origin, whatever `org` says.
      scopedClaims({ iss: 'http://localhost:4000/o/evil' }),
    ];
    for (const claims of crossOrg) {
      await expect(client.verify(await sign(key, claims))).rejects.toBeInstanceOf(TokenInvalidError);
    }
    expect(warnings).toEqual([]);
    expect(events.filter(([name]) => name === 'token.verify.failed')).toEqual(
      crossOrg.map(() => ['token.verify.failed', { reason: 'wrong_org' }]),
    );
    // The warning was not spent: this org's token under another URL — the org served at the root
    // of a host (PYLON_ORG_HOSTS) while the client was given …/o/acme — is still reported.
    const rootIssued = await sign(key, scopedClaims({ iss: 'http://127.0.0.1:4000' }));
    await expect(client.verify(rootIssued)).rejects.toBeInstanceOf(TokenInvalidError);
    expect(warnings).toEqual([
      expect.stringMatching(/^@pylon\/sdk: tokens are issued by http:\/\/127\.0\.0\.1:4000 but/),
    ]);
  });

  it('logger: null silences the console; onEvent still hears it', async () => {
    const key = await signingKey('k1');
    const events: PylonEvent[] = [];
    const original = console.warn;
    const consoleLines: unknown[] = [];
    console.warn = (...args: unknown[]) => consoleLines.push(args);
    try {
      const options = {
        orgUrl: ORG_URL,
        appId: APP_ID,
        expectedOrgId: ORG_ID,
        fetch: fakePylon([key]).fetch,
        clock: manualClock(NOW_MS),
        onEvent: (...event: PylonEvent) => events.push(event),
      };
      const foreign = await sign(key, scopedClaims({ iss: 'https://pylon.example.com/o/acme' }));
      await pylonClient({ ...options, logger: null }).resolve({ bearer: foreign });
      expect(consoleLines).toEqual([]);
      expect(events.map(([name]) => name)).toContain('org.issuer_mismatch');
      await pylonClient(options).resolve({ bearer: foreign }); // the default logger is console
      expect(consoleLines).toHaveLength(1);
    } finally {
      console.warn = original;
    }
  });
});
