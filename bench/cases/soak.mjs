// Resident memory under sustained `POST /token` load: RSS after the first fifth of the run (the
// first minute of the default five-minute soak) against RSS at its end (`--soak-minutes`).
import autocannon from 'autocannon';
import { CONNECTIONS, rssMiB } from '../lib.mjs';
import { seededServer, tokenRequest } from '../seed.mjs';

export async function soak(server, token, minutes) {
  const seconds = Math.max(10, Math.round(minutes * 60));
  const checkpoint = Math.min(60, seconds / 5);
  let early = null;
  const timer = setTimeout(() => {
    early = rssMiB(server.pid);
  }, checkpoint * 1000);
  const result = await autocannon({
    url: `${server.url}/token`,
    connections: CONNECTIONS,
    duration: seconds,
    ...tokenRequest(token),
  });
  clearTimeout(timer);
  const late = rssMiB(server.pid);
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`soak: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { seconds, checkpoint, early, late, growth: late / early, rps: result.requests.average };
}

export async function run({ db, soakMinutes }) {
  const { server, token } = await seededServer({ db, apps: 1, grantsPerApp: 100 });
  try {
    const r = await soak(server, token, soakMinutes);
    console.log(
      `POST /token soak ${r.seconds}s: RSS ${r.early.toFixed(1)} MiB at ${r.checkpoint}s, ${r.late.toFixed(1)} MiB at the end ` +
        `(${((r.growth - 1) * 100).toFixed(1)} %), ${r.rps.toFixed(0)} req/s`,
    );
  } finally {
    await server.stop();
  }
}
