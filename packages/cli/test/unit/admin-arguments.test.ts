import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { run } from '../support/environment.js';

/** Any request is a failure: bad arguments must stop before the network. */
const noNetwork: typeof fetch = async (input) => {
  throw new Error(`unexpected request to ${String(input)}`);
};
const pylon = (argv: string[]) =>
  run(argv, {
    fetch: noNetwork,
    env: { PYLON_SESSION_TOKEN: 'pylon_x', PYLON_ORG_URL: 'http://127.0.0.1:9' },
  });

describe('arguments are checked before any request (exit 2)', () => {
  it.each([
    [['app', 'register', '--name', 'notes', '--owner', 'bob'], 'the owner must be an email address'],
    [['app', 'register', '--name', 'notes', '--owner', 'bob@'], 'the owner must be an email address'],
    [
      ['login', '--org-url', 'localhost:4000'],
      'did you mean http://localhost:4000 or https://localhost:4000?',
    ],
    [['use', '--org-url', 'pylon.example.com:443'], 'did you mean https://pylon.example.com:443?'],
    [['org', 'create', '--name', 'Acme', '--id', 'Not_A_Slug'], 'an org id'],
    [['org', 'show', '--id', '../users'], 'an org id'],
    [['org', 'delete'], "required option '--id <id>' not specified"],
    [['member', 'list', '--org-id', 'acme/../x'], 'an org id'],
    [['member', 'list'], "required option '--org-id <id>' not specified"],
    [
      ['member', 'set-role', '--org-id', 'acme', '--user-id', 'u1', '--role', 'root'],
      'Allowed choices are owner, admin, member',
    ],
    [
      ['member', 'set-role', '--org-id', 'acme', '--user-id', 'u1'],
      "required option '--role <role>' not specified",
    ],
    [['member', 'remove', '--org-id', 'acme'], "required option '--user-id <id>' not specified"],
    [['invite', 'create', '--org-id', 'acme', '--email', 'not-an-email'], 'an email address'],
    [
      ['invite', 'create', '--org-id', 'acme', '--email', 'a@example.com', '--role', 'god'],
      'Allowed choices',
    ],
    [['invite', 'revoke', '--org-id', 'acme'], "required option '--id <invite>' not specified"],
    [['user', 'list', '--limit', '0'], 'a whole number from 1 to 200'],
    [['user', 'list', '--limit', '201'], 'a whole number from 1 to 200'],
    [['user', 'list', '--limit', '2.5'], 'a whole number from 1 to 200'],
  ])('pylon %j', async (argv, message) => {
    const result = await pylon(argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stdout).toBe('');
  });
});

describe('docs/CLI.md examples use the example schema’s names', () => {
  const docs = readFileSync(new URL('../../../../docs/CLI.md', import.meta.url), 'utf8');
  const schema = parse(
    readFileSync(new URL('../../../../examples/mcp-notes/schema.yaml', import.meta.url), 'utf8'),
  ) as {
    capabilities: Array<{ name: string }>;
    archetypes: Array<{ name: string }>;
  };
  const capabilities = schema.capabilities.map((entry) => entry.name);
  const names = [...capabilities, ...schema.archetypes.map((entry) => entry.name)];

  it('every --capability and --archetype given with --app notes is in examples/mcp-notes/schema.yaml', () => {
    const commands = docs.split('\n').filter((line) => / --app notes\b/.test(line));
    const used = commands.flatMap((line) =>
      [...line.matchAll(/--(capability|archetype) ([\w.:-]+)/g)].map((match) =>
        match[2]!.replace(/^notes:/, ''),
      ),
    );
    expect(used.length).toBeGreaterThan(0);
    for (const name of used) expect(names).toContain(name);
  });

  it('every notes:<name> in the docs is a name of that schema', () => {
    const qualified = [...docs.matchAll(/\bnotes:([\w.-]+)/g)].map((match) => match[1]!);
    expect(qualified.length).toBeGreaterThan(0);
    for (const name of qualified) expect(names).toContain(name);
  });
});
