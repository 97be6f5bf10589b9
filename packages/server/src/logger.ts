import pino, { type Logger } from 'pino';
import type { LogLevel } from './config/config.js';

export type { Logger };

/**
 * Paths pino blanks wherever they appear in a logged object: a last line of defence, since
 * nothing should log these in the first place (no secret in a log line).
 */
const REDACT = [
  'token',
  'password',
  'code',
  'secret',
  'authorization',
  '*.token',
  '*.password',
  '*.code',
  '*.secret',
  '*.authorization',
  'headers.cookie',
  'headers.authorization',
];

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino({ level, base: undefined, redact: { paths: REDACT, censor: '[redacted]' } }, destination);
}
