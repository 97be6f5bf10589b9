/**
 * Paths blanked wherever they appear in a logged object: a last line of defence, since nothing
 * should log these in the first place (no secret in a log line). pino applies them on Node
 * (logger.ts); the Workers logger (workers/logger.ts) applies the same list.
 */
export const REDACT_PATHS: readonly string[] = [
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

export const REDACT_CENSOR = '[redacted]';
