// Benchmark runner: `npm run bench [case…]`. Each case measures Pylon and the hello-world
// baseline in the same run and prints the ratio, so numbers compare across noisy machines.
import { readdirSync } from 'node:fs';
import { CONNECTIONS, DURATION_SECONDS, startBaseline, startPylon } from './lib.mjs';

const wanted = process.argv.slice(2);
const cases = readdirSync(new URL('./cases/', import.meta.url))
  .filter((file) => file.endsWith('.mjs'))
  .map((file) => file.replace(/\.mjs$/, ''))
  .filter((name) => wanted.length === 0 || wanted.includes(name));

console.log(
  `pylon bench: ${cases.join(', ')} — ${DURATION_SECONDS}s per measurement, ${CONNECTIONS} connections, loopback only`,
);
const baseline = await startBaseline();
const pylon = await startPylon();
try {
  for (const name of cases) {
    const { run } = await import(`./cases/${name}.mjs`);
    await run({ baseline, pylon });
  }
} finally {
  baseline.stop();
  pylon.stop();
}
