/**
 * Bundle `entry` (default: the Worker, src/workers/index.ts) into `outdir` (default
 * packages/server/dist/worker); resolves with the bundle's path.
 */
export function buildWorker(outdir?: string, entry?: string): Promise<string>;
