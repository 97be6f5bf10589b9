/**
 * The Workers logger: one JSON line per entry on `console` (Workers Logs and `wrangler tail`
 * collect it), pino's level numbers and field names, and the same redaction list as on Node
 * (log-redaction.ts). pino itself compiles its redaction with `new Function`, which Workers refuse.
 */
import type { LogLevel } from '../config/config.js';
import { REDACT_CENSOR, REDACT_PATHS } from '../log-redaction.js';
import type { Logger } from '../logger.js';

const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

export type LogSink = (line: string, level: number) => void;

const consoleSink: LogSink = (line, level) => {
  if (level >= 50) console.error(line);
  else if (level >= 40) console.warn(line);
  else console.log(line);
};

function serialiseError(error: Error): Record<string, unknown> {
  return { type: error.name, message: error.message, stack: error.stack };
}

/** A copy of `value` with every REDACT_PATHS match censored (the caller's object is untouched). */
export function redact(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...value };
  for (const path of REDACT_PATHS) censor(out, path.split('.'));
  return out;
}

function censor(target: Record<string, unknown>, path: string[]): void {
  const [head, ...rest] = path;
  if (head === undefined) return;
  const keys = head === '*' ? Object.keys(target) : [head];
  for (const key of keys) {
    if (!Object.hasOwn(target, key)) continue;
    if (rest.length === 0) {
      target[key] = REDACT_CENSOR;
      continue;
    }
    const child = target[key];
    if (typeof child !== 'object' || child === null || child instanceof Error) continue;
    const copy = (Array.isArray(child) ? [...child] : { ...child }) as Record<string, unknown>;
    target[key] = copy;
    censor(copy, rest);
  }
}

export function createWorkersLogger(
  level: LogLevel,
  sink: LogSink = consoleSink,
  bindings: Record<string, unknown> = {},
): Logger {
  const threshold = level === 'silent' ? Number.POSITIVE_INFINITY : (LEVELS[level] ?? 30);
  const write = (name: string) => {
    const number = LEVELS[name]!;
    return (first?: unknown, ...rest: unknown[]) => {
      if (number < threshold) return;
      let fields: Record<string, unknown> = {};
      let msg: unknown;
      if (first instanceof Error) {
        fields = { err: first };
        msg = rest[0] ?? first.message;
      } else if (typeof first === 'object' && first !== null) {
        fields = first as Record<string, unknown>;
        msg = rest[0];
      } else {
        msg = first;
      }
      const record: Record<string, unknown> = redact({ ...bindings, ...fields });
      for (const [key, value] of Object.entries(record)) {
        if (value instanceof Error) record[key] = serialiseError(value);
      }
      const line = JSON.stringify({
        level: number,
        time: Date.now(),
        ...record,
        ...(msg === undefined ? {} : { msg: String(msg) }),
      });
      sink(line, number);
    };
  };
  const logger = {
    level,
    trace: write('trace'),
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    fatal: write('fatal'),
    silent: () => {},
    isLevelEnabled: (name: string) => (LEVELS[name] ?? Number.POSITIVE_INFINITY) >= threshold,
    child: (more: Record<string, unknown>) => createWorkersLogger(level, sink, { ...bindings, ...more }),
  };
  return logger as unknown as Logger;
}
