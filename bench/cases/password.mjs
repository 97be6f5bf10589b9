// Password sign-in (`POST /api/auth/password/login`: Argon2id verify, a new session) against the
// raw Argon2id verify rate at the same parameters, with the same number in flight on the same core.
import { argon2Rate, measure } from '../lib.mjs';
import { post } from '../seed.mjs';

export async function passwordSignIn(pylon) {
  const email = `password-${Date.now()}@example.com`;
  const password = 'benchmark password';
  const registered = await post(pylon, '/password/register', { email, password });
  if (!registered.ok) throw new Error(`register failed: ${registered.status} ${await registered.text()}`);
  return {
    url: `${pylon.url}/api/auth/password/login`,
    options: {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    },
  };
}

export async function run({ pylon }) {
  const target = await passwordSignIn(pylon);
  const signIn = await measure(target.url, target.options);
  const raw = await argon2Rate();
  console.log(
    `${'POST /password/login'.padEnd(28)} ${signIn.rps.toFixed(0).padStart(8)} req/s  p99 ${String(signIn.p99).padStart(4)} ms  ` +
      `| raw Argon2id verify ${raw.toFixed(0).padStart(6)}/s  | ratio ${(signIn.rps / raw).toFixed(2)}`,
  );
}
