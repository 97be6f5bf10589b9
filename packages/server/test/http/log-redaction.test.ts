import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';

/** A logger writing its JSON lines into an array. */
function captured() {
  const lines: Record<string, unknown>[] = [];
  const out = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { logger: createLogger('info', out), lines };
}

describe('log redaction', () => {
  it('keeps a code shaped like an error’s (SQLSTATE, errno, SQLite) and censors every other code', () => {
    const { logger, lines } = captured();
    for (const code of ['55000', '08006', 'ECONNREFUSED', 'ERR_STREAM_PREMATURE_CLOSE', 'SQLITE_BUSY']) {
      logger.error({ err: Object.assign(new Error('database'), { code }) }, 'failed');
    }
    // A six-digit sign-in code or an OAuth code that found its way into an error is still a secret.
    logger.error({ err: Object.assign(new Error('x'), { code: '123456' }) }, 'failed');
    logger.error({ err: Object.assign(new Error('x'), { code: 'SplxlOBeZQQYbYS6WxSbIA' }) }, 'failed');
    logger.info({ code: '654321', body: { code: 'ABCD-EFGH', token: 'pylon_x' } }, 'request');
    const codes = lines.map((line) => (line.err as { code?: string } | undefined)?.code);
    expect(codes.slice(0, 7)).toEqual([
      '55000',
      '08006',
      'ECONNREFUSED',
      'ERR_STREAM_PREMATURE_CLOSE',
      'SQLITE_BUSY',
      '[redacted]',
      '[redacted]',
    ]);
    expect(lines[7]).toMatchObject({ code: '[redacted]', body: { code: '[redacted]', token: '[redacted]' } });
  });
});
