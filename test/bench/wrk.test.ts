import { execFileSync } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { luaString, parseWrkReport, REPORT_MARK, runWrk, wrkScript } from '../../bench/wrk.mjs';

const report = (fields: Record<string, unknown>) =>
  `Running 1s test\n${REPORT_MARK}${JSON.stringify({
    requests: 20000,
    durationUs: 2000000,
    p50Us: 450,
    p99Us: 2170,
    errors: { connect: 0, read: 0, write: 0, status: 0, timeout: 0 },
    cpuTicks: 15,
    ...fields,
  })}\n`;

describe('the benchmark’s wrk report', () => {
  it('gives req/s over the run, latency in ms and the load generator’s µs per request', () => {
    expect(parseWrkReport(report({}))).toEqual({
      requests: 20000,
      rps: 10000,
      p50: 0.45,
      p99: 2.17,
      // 15 hundredths of a second over 20 000 requests.
      loadUs: 7.5,
    });
  });

  it('refuses a run with failed requests or non-2xx answers, naming them', () => {
    expect(() =>
      parseWrkReport(report({ errors: { connect: 0, read: 2, write: 0, status: 7, timeout: 0 } })),
    ).toThrow('wrk: 2 read errors, 7 status errors');
    expect(() => parseWrkReport(report({ requests: 0 }))).toThrow('no request was answered');
  });

  it('refuses output without the report line (wrk failed or ran another script)', () => {
    expect(() => parseWrkReport('unable to connect to 127.0.0.1:1 Connection refused\n')).toThrow(
      'wrk printed no report: unable to connect',
    );
  });

  it('writes every byte outside letters, digits and spaces as a decimal escape', () => {
    expect(luaString('Bearer abc')).toBe('"Bearer abc"');
    expect(luaString('"]]\\\n')).toBe('"\\034\\093\\093\\092\\010"');
    expect(luaString('é')).toBe('"\\195\\169"');
  });

  it('sets the method, the headers and the body in the script', () => {
    const script = wrkScript({ method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(script).toContain('wrk.method = "POST"');
    expect(script).toContain('wrk.headers["content\\045type"] = "application\\047json"');
    expect(script).toContain('wrk.body = "\\123\\125"');
    expect(script).toContain(REPORT_MARK);
  });
});

const hasWrk = (() => {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    // wrk prints its usage and exits 1 for --version; only a missing program is absent.
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
})();

// wrk is Debian's package, not a devDependency: where it is missing the benchmark uses autocannon.
describe.skipIf(!hasWrk)('the benchmark driving a loopback server with wrk', () => {
  let server: Server;
  let url: string;
  const seen: { method: string; headers: IncomingMessage['headers']; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => {
        body += chunk;
      });
      request.on('end', () => {
        if (seen.length < 5) seen.push({ method: request.method!, headers: request.headers, body });
        response.statusCode = request.url === '/missing' ? 404 : 200;
        response.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends the request byte for byte, and reports what it served', async () => {
    const body = JSON.stringify({ app_id: 'example', note: 'quote " backslash \\ é' });
    const figures = await runWrk(`${url}/token`, {
      connections: 2,
      seconds: 1,
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer a"b\\c' },
      body,
    });
    expect(seen.length).toBeGreaterThan(0);
    for (const request of seen) {
      expect(request.method).toBe('POST');
      expect(request.headers.authorization).toBe('Bearer a"b\\c');
      expect(request.headers['content-length']).toBe(String(Buffer.byteLength(body)));
      expect(request.body).toBe(body);
    }
    expect(figures.requests).toBeGreaterThan(0);
    expect(figures.rps).toBeGreaterThan(0);
    expect(figures.p99).toBeGreaterThanOrEqual(figures.p50);
    expect(figures.loadUs).toBeGreaterThanOrEqual(0);
  });

  it('fails a run whose answers are not 2xx', async () => {
    await expect(runWrk(`${url}/missing`, { connections: 1, seconds: 1 })).rejects.toThrow(/status errors/);
  });
});
