// POST /token on a small and a large database, each as a ratio to the hello-world baseline.
// The large one holds 1 000 apps and 100 000 grants: minting must cost the same there (indexed
// reads only, expansion from memory).
import { measure, report } from '../lib.mjs';
import { seededServer, tokenRequest } from '../seed.mjs';

export async function run({ baseline, db }) {
  const small = await seededServer({ db, apps: 1, grantsPerApp: 100 });
  const large = await seededServer({ db, apps: 1000, grantsPerApp: 100 });
  try {
    const base = await measure(`${baseline.url}/hello`);
    const smallRatio = report(
      `POST /token (100 grants, ${db})`,
      base,
      await measure(`${small.server.url}/token`, tokenRequest(small.token)),
    );
    const largeRatio = report(
      `POST /token (100 000 grants, ${db})`,
      base,
      await measure(`${large.server.url}/token`, tokenRequest(large.token)),
    );
    console.log(
      `${''.padEnd(28)} large/small ${(largeRatio / smallRatio).toFixed(2)} (1.00 = cost does not grow with the data)`,
    );
  } finally {
    await small.server.stop();
    await large.server.stop();
  }
}
