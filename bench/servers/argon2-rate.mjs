// Not a server: the raw Argon2id verify rate at Pylon's parameters (createPasswordHasher from the
// built server, bounded in concurrency as `serve` bounds it for one process on these cores),
// `connections` verifications in flight at a time, as autocannon keeps that many sign-ins in
// flight. Started pinned like the servers; reports `{ rate }` verifications per second.
import { availableParallelism } from 'node:os';
import {
  createPasswordHasher,
  passwordHashConcurrency,
} from '../../packages/server/dist/platform/password.js';

const [seconds, connections] = process.argv.slice(2).map(Number);
const hasher = createPasswordHasher({}, { concurrency: passwordHashConcurrency(availableParallelism(), 1) });
const phc = await hasher.hash('benchmark password');
const run = async (until) => {
  let count = 0;
  const loop = async () => {
    while (performance.now() < until) {
      if (!(await hasher.verify(phc, 'benchmark password'))) throw new Error('verify failed');
      count++;
    }
  };
  await Promise.all(Array.from({ length: connections }, loop));
  return count;
};
await run(performance.now() + 1000); // warm-up, as autocannon's
const start = performance.now();
const count = await run(start + seconds * 1000);
process.send({ rate: count / ((performance.now() - start) / 1000) });
