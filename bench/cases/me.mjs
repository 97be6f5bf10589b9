// GET /api/auth/me with a valid session (one indexed read, no write) vs the hello-world baseline.
import { measure, report } from '../lib.mjs';

export async function run({ baseline, pylon }) {
  const response = await fetch(`${pylon.url}/api/auth/password/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: `bench-${Date.now()}@example.com`, password: 'benchmark password' }),
  });
  if (!response.ok) throw new Error(`register failed: ${response.status}`);
  const { token } = await response.json();
  const base = await measure(`${baseline.url}/hello`);
  const subject = await measure(`${pylon.url}/api/auth/me`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return report('GET /api/auth/me (session)', base, subject);
}
