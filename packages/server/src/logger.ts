import pino, { type Logger } from 'pino';
import type { LogLevel, PylonEnv } from './config/config.js';
import { censorValue, REDACT_PATHS } from './log-redaction.js';

export type { Logger };

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino(
    { level, base: undefined, redact: { paths: [...REDACT_PATHS], censor: censorValue } },
    destination,
  );
}

export type LogFormat = 'json' | 'pretty';

/**
 * Readable lines for a person watching a development server in a terminal; JSON lines everywhere
 * else (production, and any pipe or file, where a collector parses them).
 */
export function chooseLogFormat(env: PylonEnv, stdoutIsTTY: boolean | undefined): LogFormat {
  return env === 'development' && stdoutIsTTY === true ? 'pretty' : 'json';
}

const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

/** One pino JSON line as `12:00:01 INFO  message key=value`, an error's stack on the lines after. */
export function formatPrettyLine(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const { level, time, msg, err, ...rest } = record;
  const clock = typeof time === 'number' ? new Date(time).toISOString().slice(11, 19) : '--:--:--';
  const name = (LEVEL_NAMES[Number(level)] ?? String(level)).padEnd(5);
  const fields = Object.entries(rest)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  const stack =
    typeof err === 'object' && err !== null && 'stack' in err
      ? `\n${String((err as { stack: unknown }).stack)}`
      : '';
  return `${clock} ${name} ${msg ?? ''}${fields ? `  ${fields}` : ''}${stack}\n`;
}

/** A pino destination writing `formatPrettyLine` output to `out` (redaction has already run). */
export function prettyDestination(out: { write(text: string): unknown }): pino.DestinationStream {
  return { write: (line: string) => void out.write(formatPrettyLine(line)) };
}
