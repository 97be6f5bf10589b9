import { buildWorker } from '../../../scripts/build-worker.mjs';

/**
 * Vitest global setup of `npm run test:workers`: build the Worker bundle once, with the real build
 * script, before any test file runs (the files run in parallel and all read the same bundle).
 */
export default async function setup(): Promise<void> {
  await buildWorker();
}
