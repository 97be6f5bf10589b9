import { availableParallelism } from 'node:os';
import { ConfigError, type Env } from './config-error.js';
import { integer } from './parse-values.js';

/** The most worker processes `serve` forks; far above any core count Pylon is run on. */
export const MAX_WORKERS = 256;

/**
 * How many worker processes `pylon-server serve` runs: `--workers N` on the command line, else
 * PYLON_WORKERS, else every core in production and one process in development. One means no
 * cluster at all: the server runs in the process that was started.
 */
export function parseWorkers(
  argv: readonly string[],
  env: Env,
  production: boolean,
  cores: number = availableParallelism(),
): number {
  const flag = workersFlag(argv);
  if (flag !== undefined) {
    if (!/^\d+$/.test(flag) || Number(flag) < 1 || Number(flag) > MAX_WORKERS) {
      throw new ConfigError('--workers', `must be an integer between 1 and ${MAX_WORKERS}, got "${flag}"`);
    }
    return Number(flag);
  }
  return integer(env, 'PYLON_WORKERS', production ? Math.max(1, cores) : 1, 1, MAX_WORKERS);
}

/** The value of `--workers N` or `--workers=N`; '' when the flag has no value. */
function workersFlag(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--workers') return argv[i + 1] ?? '';
    if (arg.startsWith('--workers=')) return arg.slice('--workers='.length);
  }
  return undefined;
}

/** The command words without the options `parseWorkers` reads (`serve --workers 2` → `serve`). */
export function commandWords(argv: readonly string[]): string[] {
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--workers') i++;
    else if (!arg.startsWith('--workers=')) words.push(arg);
  }
  return words;
}
