import { afterEach, describe, expect, it, vi } from 'vitest';
import { pylonClient } from '../src/client.js';
import { NoSessionError } from '../src/errors.js';
import { fakePylon, manualClock } from './support/fake-pylon.js';
import { APP_ID, NOW_MS, ORG_ID, ORG_URL } from './support/keys.js';

const SESSION = `pylon_${'ab'.repeat(32)}`;

function minting(options: { sessionToken?: string } = {}) {
  const pylon = fakePylon();
  const clock = manualClock(NOW_MS);
  let minted = 0;
  let held: { waiting: () => void; answer: Promise<void> } | undefined;
  pylon.state.routes.set(`POST ${ORG_URL}/token`, async (init) => {
    minted += 1;
    if (held) {
      held.waiting();
      await held.answer;
    }
    const auth = new Headers(init?.headers).get('authorization');
    if (auth !== `Bearer ${SESSION}`) return Response.json({ error: 'no_session' }, { status: 401 });
    expect(JSON.parse(String(init?.body))).toEqual({ app_id: APP_ID });
    return Response.json({ scoped_token: `token-${minted}`, ttl: 30, expires_at: clock.now() + 30_000 });
  });
  const client = pylonClient({
    orgUrl: ORG_URL,
    appId: APP_ID,
    expectedOrgId: ORG_ID,
    fetch: pylon.fetch,
    clock,
    ...options,
  });
  /** Hold Pylon's answers until `release()`; `waiting` resolves once a request is held. */
  const hold = () => {
    let waiting!: () => void;
    let release!: () => void;
    const reached = new Promise<void>((resolve) => {
      waiting = resolve;
    });
    const answer = new Promise<void>((resolve) => {
      release = resolve;
    });
    held = { waiting, answer };
    return { waiting: reached, release };
  };
  return { client, clock, pylon, mints: () => minted, hold };
}

describe('mintScopedToken', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('is single-flight: 50 concurrent callers share one POST /token', async () => {
    const { client, mints, hold } = minting({ sessionToken: SESSION });
    // Pylon answers only once every caller has asked, so the callers really overlap.
    const answer = hold();
    const calls = Array.from({ length: 50 }, () => client.mintScopedToken());
    await answer.waiting;
    answer.release();
    const tokens = await Promise.all(calls);
    expect(new Set(tokens)).toEqual(new Set(['token-1']));
    expect(mints()).toBe(1);
  });

  it('is cached until 5 s before expiry, then minted again', async () => {
    const { client, clock, mints } = minting({ sessionToken: SESSION });
    expect(await client.mintScopedToken()).toBe('token-1');
    clock.advance(24_999);
    expect(await client.mintScopedToken()).toBe('token-1');
    clock.advance(1);
    expect(await client.mintScopedToken()).toBe('token-2');
    expect(mints()).toBe(2);
  });

  it('reads PYLON_SESSION_TOKEN at each mint, not at construction', async () => {
    const { client, mints } = minting();
    await expect(client.mintScopedToken()).rejects.toMatchObject({ code: 'no_session' });
    expect(mints()).toBe(0);
    vi.stubEnv('PYLON_SESSION_TOKEN', SESSION);
    expect(await client.mintScopedToken()).toBe('token-1');
  });

  it('maps Pylon’s answers: a refused session is no_session, org_mismatch its own, others request_failed', async () => {
    const { client, pylon } = minting({ sessionToken: `pylon_${'00'.repeat(32)}` });
    await expect(client.mintScopedToken()).rejects.toMatchObject({ code: 'no_session', status: 401 });
    for (const [status, error, code] of [
      [401, 'expired', 'no_session'],
      [401, 'org_mismatch', 'org_mismatch'],
      [403, 'app_disabled', 'request_failed'],
      [500, 'server_error', 'request_failed'],
    ] as const) {
      pylon.state.routes.set(`POST ${ORG_URL}/token`, () => Response.json({ error }, { status }));
      const failure = await client.mintScopedToken().catch((caught: unknown) => caught);
      expect(failure).toMatchObject({ code, status, serverCode: error });
      expect(String((failure as Error).message)).not.toContain('pylon_');
    }
    // A failure is not cached: the next call asks again.
    pylon.state.routes.set(`POST ${ORG_URL}/token`, () =>
      Response.json({ scoped_token: 'fine', ttl: 30, expires_at: NOW_MS + 30_000 }),
    );
    expect(await client.mintScopedToken()).toBe('fine');
  });

  it('a session with a line break, a space or a non-string is malformed, said as such; nothing is sent', async () => {
    for (const sessionToken of [`${SESSION}\n`, `${SESSION}\r\nX-Evil: 1`, `pylon_ ${SESSION}`, 'pylon_é']) {
      const { client, mints } = minting({ sessionToken });
      const failure = await client.mintScopedToken().catch((caught: unknown) => caught);
      expect(failure).toBeInstanceOf(NoSessionError);
      expect(failure).toMatchObject({ code: 'no_session' });
      expect((failure as Error).message).toBe('The Pylon session token is malformed');
      expect((failure as Error).message).not.toContain(SESSION);
      expect(mints()).toBe(0);
    }
    const { client } = minting({ sessionToken: 42 as unknown as string });
    await expect(client.mintScopedToken()).rejects.toThrow(/session token is malformed/);
  });
});
