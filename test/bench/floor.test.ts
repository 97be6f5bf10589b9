import { type ChildProcess, fork } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The benchmark's hand-written floor (bench/servers/floor.mjs), as bench/peers.mjs starts it. */
let floor: ChildProcess;
let url: string;
let signIns: string[];
let sessionToken: string;

beforeAll(async () => {
  floor = fork(new URL('../../bench/servers/floor.mjs', import.meta.url), { stdio: 'ignore' });
  const ready = await new Promise<{ port: number; signIns: string[]; token: string }>((resolve, reject) => {
    floor.once('message', resolve as (message: unknown) => void);
    floor.once('exit', (code) => reject(new Error(`floor.mjs exited (${code}) before listening`)));
  });
  url = `http://127.0.0.1:${ready.port}`;
  signIns = ready.signIns;
  sessionToken = ready.token;
});

afterAll(async () => {
  const exited = new Promise((resolve) => floor.once('exit', resolve));
  floor.kill('SIGTERM');
  await exited;
});

const signIn = (body: string) =>
  fetch(`${url}/api/auth/password/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });

describe('the benchmark floor’s password sign-in', () => {
  it('hands out one JSON body per account, each signing in to a session that then works', async () => {
    expect(signIns).toHaveLength(10);
    const first = JSON.parse(signIns[0]!) as { email: string; password: string };
    const response = await signIn(signIns[0]!);
    expect(response.status).toBe(200);
    const session = (await response.json()) as { token: string; user_id: string; expires_at: number };
    expect(session.token).toMatch(/^pylon_[0-9a-f]{64}$/);
    expect(session.expires_at).toBeGreaterThan(Date.now() / 1000);
    const me = await fetch(`${url}/api/auth/me`, { headers: { authorization: `Bearer ${session.token}` } });
    expect(await me.json()).toMatchObject({ userId: session.user_id, email: first.email });
  });

  it('refuses a wrong password and an unknown account alike, and a body that is not JSON', async () => {
    const first = JSON.parse(signIns[0]!) as { email: string };
    const wrong = await signIn(JSON.stringify({ email: first.email, password: 'not the password' }));
    expect(wrong.status).toBe(401);
    const unknown = await signIn(
      JSON.stringify({ email: 'nobody@example.com', password: 'benchmark password' }),
    );
    expect(unknown.status).toBe(401);
    expect((await signIn('{')).status).toBe(400);
  });
});

describe('the benchmark floor’s POST /token', () => {
  const mint = async () => {
    const response = await fetch(`${url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${sessionToken}` },
      body: JSON.stringify({ app_id: 'example' }),
    });
    expect(response.status).toBe(200);
    const { scoped_token } = (await response.json()) as { scoped_token: string };
    return JSON.parse(Buffer.from(scoped_token.split('.')[1]!, 'base64url').toString('utf8')) as {
      jti: string;
      aud: string;
    };
  };

  it('gives every token an id of its own, past the end of its random pool (256 ids of 16 bytes)', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const claims = await mint();
      expect(claims.aud).toBe('example');
      expect(claims.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
      ids.add(claims.jti);
    }
    expect(ids.size).toBe(300);
  });

  it('refuses a request without a session', async () => {
    const response = await fetch(`${url}/token`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(401);
  });
});
