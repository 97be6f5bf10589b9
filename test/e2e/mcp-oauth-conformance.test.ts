import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectWithOAuth,
  freePort,
  type NotesWorld,
  PersonAtBrowser,
  startNotesWorld,
} from './mcp-oauth-support.js';

// The suite's command line (0.1.13; later versions need Node 22). It needs no network: it only
// talks to the URL it is given.
const CONFORMANCE = join(
  dirname(createRequire(import.meta.url).resolve('@modelcontextprotocol/conformance/package.json')),
  'dist/index.js',
);

/**
 * What the example server is expected to pass and fail of the suite's server scenarios
 * (docs/MCP.md has the table and the reasons). The rest of the suite exercises an "everything"
 * server's fixtures (tools named `test_*`, prompts, resources, sampling) that a notes server has not.
 */
const EXPECTED_PASS = [
  'server-initialize',
  'ping',
  'tools-list',
  'tools-call-simple-text',
  'tools-call-error',
  'server-sse-multiple-streams',
  'dns-rebinding-protection',
];

interface Check {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';
  errorMessage?: string;
}

/**
 * Adds the OAuth access token to every request, as an authorised MCP client would: the suite's
 * client has no way to send one, and every request to the example without one gets a 401.
 */
async function startTokenProxy(
  target: string,
  token: () => string,
): Promise<{ url: string; server: Server }> {
  // Bound on a port the system picks and its URL read from it (not a port found free, closed and
  // bound again: another listener could take it in between — EADDRINUSE in CI).
  let url = '';
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string' && !['host', 'connection', 'content-length'].includes(name)) {
        headers.set(name, value);
      }
    }
    // As a reverse proxy serving the example at its public URL would: the proxy's own origin is
    // the server's; any other Origin (the DNS-rebinding scenario forges one) reaches it as sent.
    if (req.headers.origin === new URL(url).origin) headers.set('origin', new URL(target).origin);
    headers.set('authorization', `Bearer ${token()}`);
    const answer = await fetch(new URL(req.url ?? '/', target), {
      method: req.method ?? 'GET',
      headers,
      ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
    });
    res.statusCode = answer.status;
    answer.headers.forEach((value, name) => {
      if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(name)) {
        res.setHeader(name, value);
      }
    });
    res.end(Buffer.from(await answer.arrayBuffer()));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  return { url, server };
}

function runSuite(url: string, outputDir: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CONFORMANCE, 'server', '--url', url, '--suite', 'active', '-o', outputDir],
      { timeout: 240_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) =>
        resolve({
          code: error ? Number((error as { code?: number }).code ?? 1) : 0,
          output: stdout + stderr,
        }),
    );
  });
}

/** scenario → its checks, from the `checks.json` the suite writes per scenario. */
function readResults(outputDir: string): Map<string, Check[]> {
  const results = new Map<string, Check[]>();
  for (const entry of readdirSync(outputDir)) {
    const checks = JSON.parse(readFileSync(join(outputDir, entry, 'checks.json'), 'utf8')) as Check[];
    const scenario = /^server-(.+)-\d{4}-\d{2}-\d{2}T/.exec(entry)?.[1] ?? entry;
    results.set(scenario, checks);
  }
  return results;
}

describe('@modelcontextprotocol/conformance server scenarios against mcp-notes, authorised through Pylon', () => {
  let world: NotesWorld;
  let proxy: { url: string; server: Server };
  const outputDir = mkdtempSync(join(tmpdir(), 'pylon-mcp-conformance-'));

  beforeAll(async () => {
    world = await startNotesWorld();
    // alice (notes:editor) authorises an OAuth client (dynamic registration) on the hosted pages.
    const alice = new PersonAtBrowser({
      pylon: world.t,
      origin: world.origin,
      issuer: world.issuer,
      email: 'alice@example.com',
      callback: `http://127.0.0.1:${await freePort()}/callback`,
    });
    const client = await connectWithOAuth(world.resource, alice);
    await client.close();
    // Pylon's and the example's clocks are the test's, frozen: the access token stays valid.
    proxy = await startTokenProxy(world.resource, () => alice.tokens()!.access_token);
  });

  afterAll(async () => {
    await new Promise((resolve) => proxy?.server.close(resolve));
    await world?.close();
    rmSync(outputDir, { recursive: true, force: true });
  });

  it('passes the scenarios a notes server can pass', { timeout: 300_000 }, async () => {
    const { output } = await runSuite(proxy.url, outputDir);
    const results = readResults(outputDir);
    expect(results.size, output).toBeGreaterThan(0);
    const passed = [...results]
      .filter(([, checks]) => checks.every((check) => check.status !== 'FAILURE'))
      .map(([scenario]) => scenario);
    // Exactly these pass: a scenario that starts passing (or failing) means docs/MCP.md's table
    // is out of date.
    expect(passed.sort(), output).toEqual([...EXPECTED_PASS].sort());
  });
});
