// SDK verification (a hot path): a cached verify must cost a map look-up, and an
// uncached one about what raw jose costs. Both are printed as ratios to `jose.jwtVerify` on the same
// token in the same run. In-process only: the key set comes from a fake fetch, nothing is contacted.

import { exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { pylonClient } from '../../packages/sdk/dist/verify.js';
import { DURATION_SECONDS } from '../lib.mjs';

const ORG_URL = 'http://127.0.0.1:1/o/bench';
const APP_ID = 'bench';

/** Verifications per second of `verify`, awaited one after another for the configured duration. */
async function opsPerSecond(verify) {
  for (let i = 0; i < 2000; i++) await verify(); // warm-up (JIT, caches)
  const deadline = performance.now() + DURATION_SECONDS * 1000;
  let count = 0;
  const start = performance.now();
  while (performance.now() < deadline) {
    for (let i = 0; i < 500; i++) await verify();
    count += 500;
  }
  return count / ((performance.now() - start) / 1000);
}

function line(name, ops, baseline) {
  const ratio = baseline === undefined ? '' : `| ratio ${(ops / baseline).toFixed(2)} (to jose.jwtVerify)`;
  console.log(`${name.padEnd(34)} ${ops.toFixed(0).padStart(9)} verifications/s  ${ratio}`);
}

export async function run() {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA', use: 'sig' };
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({
    sub: 'bench@example.com',
    org: 'bench',
    app: APP_ID,
    caps: ['bench:a.read', 'bench:a.write'],
    jti: 'bench',
  })
    .setProtectedHeader({ alg: 'EdDSA', kid: 'k1' })
    .setIssuer(ORG_URL)
    .setAudience(APP_ID)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + 3600)
    .sign(privateKey);
  const fetch = async (url) =>
    String(url).endsWith('/discover')
      ? Response.json({ id: 'bench', name: 'Bench', api_url: ORG_URL })
      : Response.json({ keys: [jwk] });
  const client = (tokenCacheSize) =>
    pylonClient({
      orgUrl: ORG_URL,
      appId: APP_ID,
      expectedOrgId: 'bench',
      fetch,
      tokenCacheSize,
      maxTokenLifetimeSeconds: 3600,
    });
  const cached = client(10_000);
  const uncached = client(0); // every call verifies the signature again; the key set stays cached

  const options = { issuer: ORG_URL, audience: APP_ID, algorithms: ['EdDSA'], clockTolerance: 2 };
  const jose = await opsPerSecond(() => jwtVerify(token, publicKey, options));
  const hit = await opsPerSecond(() => cached.verify(token));
  const miss = await opsPerSecond(() => uncached.verify(token));
  line('jose.jwtVerify (baseline)', jose);
  line('SDK verify, cached token', hit, jose);
  line('SDK verify, uncached token', miss, jose);
}
