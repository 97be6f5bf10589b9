// GET /health on the full Pylon middleware stack vs a bare hello-world on the same HTTP stack.
import { measure, report } from '../lib.mjs';

export async function run({ baseline, pylon }) {
  const base = await measure(`${baseline.url}/hello`);
  const subject = await measure(`${pylon.url}/health`);
  return report('GET /health', base, subject);
}
