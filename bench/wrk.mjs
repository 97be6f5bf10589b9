// wrk (https://github.com/wg/wrk, Debian's package `wrk`) as the benchmark's load generator: a C
// program on epoll that costs the core it shares with a server a third of what autocannon does per
// request. Each run is given a Lua script (https://github.com/wg/wrk/blob/master/SCRIPTING) that
// sets the request and, once the run is over, prints one line of JSON: what was served, the
// latency percentiles in µs, the errors by kind and the CPU wrk itself spent, read from its own
// /proc/self/stat so nothing else on the machine is counted.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Prefix of the one line the script's `done` prints. */
export const REPORT_MARK = 'PYLON_BENCH_WRK ';

/**
 * A Lua string literal for any text: every byte outside letters, digits and spaces as a decimal
 * escape (`\ddd`, which every Lua version reads), so no header value or body can end the literal.
 */
export function luaString(text) {
  let out = '"';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9 ]/.test(char) ? char : `\\${String(byte).padStart(3, '0')}`;
  }
  return `${out}"`;
}

/**
 * The Lua script for one kind of request (every request of the run alike): its method, headers and
 * body, and a `done` that prints the report line. USER_HZ is 100 on every Linux wrk runs on, so
 * /proc's utime and stime (fields 14 and 15, counted after the parenthesised command name) are in
 * hundredths of a second; they include the run's threads, which have exited by then.
 */
export function wrkScript({ method = 'GET', headers = {}, body } = {}) {
  const lines = [`wrk.method = ${luaString(method)}`];
  for (const [name, value] of Object.entries(headers)) {
    lines.push(`wrk.headers[${luaString(name)}] = ${luaString(String(value))}`);
  }
  if (body !== undefined) lines.push(`wrk.body = ${luaString(body)}`);
  lines.push(
    'done = function(summary, latency, requests)',
    '  local file = io.open("/proc/self/stat", "r")',
    '  local stat = file:read("*l")',
    '  file:close()',
    '  local fields = {}',
    '  for field in stat:match("%) (.*)$"):gmatch("%S+") do fields[#fields + 1] = field end',
    '  local e = summary.errors',
    `  io.write(string.format('${REPORT_MARK}{"requests":%d,"durationUs":%d,"p50Us":%d,"p99Us":%d,' ..`,
    `    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},"cpuTicks":%d}\\n',`,
    '    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),',
    '    e.connect, e.read, e.write, e.status, e.timeout, tonumber(fields[12]) + tonumber(fields[13])))',
    'end',
  );
  return `${lines.join('\n')}\n`;
}

/**
 * What one run measured, from wrk's output: the report line's figures as the benchmark uses them
 * (req/s, latency in ms, the load generator's µs of CPU per request). Throws when the line is
 * missing (wrk failed, or ran a script without it) or when any request failed: a run with errors
 * or non-2xx/3xx answers measured something other than the route.
 */
export function parseWrkReport(output) {
  const line = output.split('\n').find((text) => text.startsWith(REPORT_MARK));
  if (!line) throw new Error(`wrk printed no report: ${output.trim().slice(0, 300)}`);
  const report = JSON.parse(line.slice(REPORT_MARK.length));
  const failed = Object.entries(report.errors).filter(([, count]) => count > 0);
  if (failed.length > 0) {
    throw new Error(`wrk: ${failed.map(([kind, count]) => `${count} ${kind} errors`).join(', ')}`);
  }
  if (report.requests === 0) throw new Error('wrk: no request was answered');
  return {
    requests: report.requests,
    rps: report.requests / (report.durationUs / 1e6),
    p50: report.p50Us / 1000,
    p99: report.p99Us / 1000,
    loadUs: (report.cpuTicks * 1e4) / report.requests,
  };
}

/**
 * Drive `url` for `seconds` with `connections` connections on one wrk thread, pinned to `cpus`
 * with `taskset` when given; resolves to `parseWrkReport`'s figures.
 */
export async function runWrk(url, { connections, seconds, method, headers, body, cpus = null }) {
  const dir = mkdtempSync(join(tmpdir(), 'pylon-wrk-'));
  const script = join(dir, 'request.lua');
  writeFileSync(script, wrkScript({ method, headers, body }));
  const args = [
    '-t',
    '1',
    '-c',
    String(connections),
    '-d',
    `${seconds}s`,
    '--timeout',
    '10s',
    '-s',
    script,
    url,
  ];
  try {
    const output = await new Promise((resolve, reject) => {
      const child = cpus === null ? spawn('wrk', args) : spawn('taskset', ['-c', cpus, 'wrk', ...args]);
      let text = '';
      const collect = (chunk) => {
        text += chunk;
      };
      child.stdout.on('data', collect);
      child.stderr.on('data', collect);
      child.once('error', reject);
      child.once('exit', (code) =>
        code === 0 ? resolve(text) : reject(new Error(`wrk exited (${code}): ${text.trim().slice(0, 300)}`)),
      );
    });
    return parseWrkReport(output);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
