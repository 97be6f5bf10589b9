// Benchmark runner: `npm run bench -- [case…] [--db sqlite,postgres] [--soak-minutes M]`, or
// `npm run bench -- --peers [--json]` for the table against the peers (bench/peers.mjs). Each case
// measures Pylon and the hello-world baseline in the same run and prints the ratio, so numbers
// compare across noisy machines.
import { readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  CONNECTIONS,
  DURATION_SECONDS,
  LOAD_GENERATOR,
  PINNING,
  pinLoadGenerator,
  startBaseline,
  startPylon,
} from './lib.mjs';
import { runPeers } from './peers.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    peers: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    db: { type: 'string' },
    'soak-minutes': { type: 'string', default: '1' },
  },
});
const dbs = (values.db ?? (values.peers ? 'sqlite,postgres' : 'sqlite')).split(',').map((db) => db.trim());
for (const db of dbs)
  if (db !== 'sqlite' && db !== 'postgres') throw new Error(`--db: unknown database "${db}"`);
const soakMinutes = Number(values['soak-minutes']);
if (!(soakMinutes > 0)) throw new Error('--soak-minutes must be a positive number');

pinLoadGenerator();
if (values.peers) {
  await runPeers({ dbs, soakMinutes, json: values.json });
} else {
  // soak runs for minutes: only when named.
  const cases = readdirSync(new URL('./cases/', import.meta.url))
    .filter((file) => file.endsWith('.mjs'))
    .map((file) => file.replace(/\.mjs$/, ''))
    .filter((name) => (positionals.length === 0 ? name !== 'soak' : positionals.includes(name)));
  console.log(
    `pylon bench: ${cases.join(', ')} on ${dbs.join(', ')} — ${DURATION_SECONDS}s per measurement, ${CONNECTIONS} connections, ${LOAD_GENERATOR}, loopback only` +
      (PINNING ? `, servers on core ${PINNING.server}, load generator on core ${PINNING.load}` : ''),
  );
  const baseline = await startBaseline();
  try {
    for (const db of dbs) {
      const pylon = await startPylon({ db });
      try {
        for (const name of cases) {
          const { run } = await import(`./cases/${name}.mjs`);
          await run({ baseline, pylon, db, soakMinutes });
        }
      } finally {
        await pylon.stop();
      }
    }
  } finally {
    baseline.stop();
  }
}
