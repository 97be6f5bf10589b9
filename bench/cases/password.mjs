// Password sign-in (`POST /api/auth/password/login`: Argon2id verify, a new session) against the
// raw Argon2id verify rate at the same parameters, with the same number in flight on the same core.
import { argon2Rate, CONNECTIONS, measure } from '../lib.mjs';
import { post } from '../seed.mjs';

/**
 * One account per connection, as sign-ins come from many people: ten sign-ins of one account in
 * flight at once from one address would be an attack on it, and its (address, account) lockout
 * counts each attempt before the password is judged, so it refuses the sixth in flight.
 */
export async function passwordSignIn(pylon, accounts = CONNECTIONS) {
  const password = 'benchmark password';
  const bodies = [];
  for (let i = 0; i < accounts; i++) {
    const email = `password-${Date.now()}-${i}@example.com`;
    const registered = await post(pylon, '/password/register', { email, password });
    if (!registered.ok) throw new Error(`register failed: ${registered.status} ${await registered.text()}`);
    bodies.push(JSON.stringify({ email, password }));
  }
  return signInsAt(`${pylon.url}/api/auth/password/login`, bodies);
}

/** A POST of JSON sign-in `bodies` to `url`, each connection sending its own in turn (autocannon). */
export function signInsAt(url, bodies) {
  let next = 0;
  return {
    url,
    options: {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: bodies[0],
      setupClient: (client) => client.setBody(bodies[next++ % bodies.length]),
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
