// Cost of one Ed25519 signature, as POST /token makes it, by each of Pylon's signing backends:
// `node bench/ed25519.mjs [--count N] [--rounds R]` after `npx tsc -b`. Pinned to core 0 where
// `taskset` is present (as the servers are). Prints microseconds per signature (the least of R
// rounds, after a warm-up) and libsodium ÷ node:crypto; checks both give the same bytes first.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { parseArgs } from 'node:util';
import { ed25519Backend, ed25519Signer } from '../packages/server/dist/platform/ed25519.js';
import { PINNING } from './lib.mjs';

const { values } = parseArgs({
  options: { count: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '3' } },
});
const COUNT = Number(values.count);
const ROUNDS = Number(values.rounds);
if (!(COUNT > 0) || !(ROUNDS > 0)) throw new Error('--count and --rounds must be positive numbers');
if (PINNING) execFileSync('taskset', ['-p', '-c', PINNING.server, String(process.pid)], { stdio: 'ignore' });

const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
// A scoped token's signing input is about this long (header.payload, base64url).
const input = Buffer.from(`eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0.${'x'.repeat(420)}`);
const backends = ed25519Backend === 'libsodium' ? ['node:crypto', 'libsodium'] : ['node:crypto'];
const signers = Object.fromEntries(backends.map((name) => [name, ed25519Signer(jwk, name)]));
const reference = Buffer.from(signers['node:crypto'](input));
for (const [name, sign] of Object.entries(signers)) {
  if (!Buffer.from(sign(input)).equals(reference)) throw new Error(`${name} signed other bytes`);
}

const perSignature = {};
for (const [name, sign] of Object.entries(signers)) {
  for (let i = 0; i < 2000; i++) sign(input);
  let least = Number.POSITIVE_INFINITY;
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < COUNT; i++) sign(input);
    least = Math.min(least, Number(process.hrtime.bigint() - start) / COUNT / 1000);
  }
  perSignature[name] = least;
  console.log(`${name.padEnd(12)} ${least.toFixed(1).padStart(6)} µs per signature`);
}
if (perSignature.libsodium !== undefined) {
  console.log(
    `libsodium ÷ node:crypto: ${(perSignature.libsodium / perSignature['node:crypto']).toFixed(2)}`,
  );
} else {
  console.log('libsodium: not available on this platform (the server signs with node:crypto)');
}
console.log(`the server signs with: ${ed25519Backend}`);
