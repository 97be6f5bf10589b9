// GET /api/auth/me with a valid session (one indexed read, no write) vs the hello-world baseline.
import { measure, report } from '../lib.mjs';
import { signIn } from '../seed.mjs';

export async function run({ baseline, pylon, db }) {
  const token = await signIn(pylon, `bench-${Date.now()}@example.com`);
  const base = await measure(`${baseline.url}/hello`);
  const subject = await measure(`${pylon.url}/api/auth/me`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return report(`GET /api/auth/me (${db})`, base, subject);
}
