import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Listening } from '../../../server/src/platform/listen.js';
import { testDatabases } from '../../../server/test/support/databases.js';
import { listenAhead } from '../../../server/test/support/listen-ahead.js';
import { startTestServer, type TestServer } from '../../../server/test/support/server.js';
import { FileSessionStore } from '../../src/session/file-session-store.js';
import { temporaryHome } from '../support/environment.js';
import { signInByCode } from '../support/sign-in.js';

const BIN = fileURLToPath(new URL('../../dist/bin/pylon.js', import.meta.url));
const BOSS = 'boss@example.com';
const ALICE = 'alice@example.com';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The admin commands (bootstrap, org, member, invite, user) as child processes of the built
 * binary, against a real Pylon on loopback. Each person has their own home (their own session
 * file), as on their own machine.
 */
describe.skipIf(!existsSync(BIN)).each(testDatabases)('pylon admin commands on $kind', (database) => {
  let t: TestServer;
  let listening: Listening;
  let url: string;
  const homes = { boss: temporaryHome(), alice: temporaryHome() };
  const tokens = { boss: '', alice: '' };

  const pylon = (who: keyof typeof homes, args: string[]) =>
    new Promise<Result>((resolve) => {
      const inherited = Object.fromEntries(
        Object.entries(process.env).filter(([key]) => !key.startsWith('PYLON_') && key !== 'NODE_OPTIONS'),
      );
      const env = {
        ...inherited,
        HOME: homes[who].home,
        USERPROFILE: homes[who].home,
        PYLON_KEYRING: 'file',
        PYLON_ORG_URL: url,
      };
      execFile(process.execPath, [BIN, ...args], { env, timeout: 30_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });
  const json = async (who: keyof typeof homes, args: string[]) => {
    const result = await pylon(who, [...args, '--json']);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout);
  };

  const signIn = (email: string) => signInByCode(t, email);

  beforeAll(async () => {
    const held = await listenAhead();
    listening = held;
    url = `http://127.0.0.1:${listening.port}`;
    t = await startTestServer(database, {
      env: { PYLON_PUBLIC_URL: url, PYLON_BOOTSTRAP_ADMIN_EMAIL: BOSS },
    });
    held.serve(t.server.fetch);
    tokens.boss = await signIn(BOSS);
    tokens.alice = await signIn(ALICE);
    for (const who of ['boss', 'alice'] as const) {
      await new FileSessionStore(join(homes[who].home, '.pylon', 'sessions')).set('default', tokens[who]);
    }
  });
  afterAll(async () => {
    await listening?.close(100);
    await t?.close();
    homes.boss.remove();
    homes.alice.remove();
  });

  it('bootstrap: refused to another email (403), granted once to the bootstrap email, then 409', async () => {
    const refused = await pylon('alice', ['bootstrap']);
    expect(refused.code).toBe(6);
    expect(refused.stderr).toContain('error: Pylon returned 403: POST /bootstrap → not_bootstrap_email');
    expect(refused.stderr).toContain('hint: only the verified PYLON_BOOTSTRAP_ADMIN_EMAIL may bootstrap');

    const granted = await pylon('boss', ['bootstrap']);
    expect(granted.code, granted.stderr).toBe(0);
    expect(granted.stdout).toBe(`granted pylon-admin to ${BOSS} in default\n`);

    const again = await pylon('boss', ['bootstrap', '--json']);
    expect(again.code).toBe(6);
    expect(again.stderr).toContain('Pylon returned 409: POST /bootstrap → bootstrap_consumed');
    expect(again.stdout).toBe('');
  });

  it('org create, list, show; a taken id is 409 (exit 6)', async () => {
    const created = await json('boss', ['org', 'create', '--name', 'Acme Corp', '--id', 'acme']);
    expect(created).toMatchObject({ id: 'acme', name: 'Acme Corp', role: 'owner' });
    expect(created.created_at).toBe(Math.floor(t.clock.now() / 1000));

    const table = await pylon('boss', ['org', 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID +NAME +ROLE +CREATED$/);
    expect(table.stdout).toMatch(/\nacme +Acme Corp +owner +2026-11-25T\d\d:\d\d:\d\dZ\n/);
    const list = (await json('boss', ['org', 'list'])) as Array<{ id: string }>;
    expect(list.map((org) => org.id)).toContain('acme');

    const shown = await pylon('boss', ['org', 'show', '--id', 'acme']);
    expect(shown.stdout).toContain('name:     Acme Corp');
    expect(shown.stdout).toContain('role:     owner');

    const taken = await pylon('boss', ['org', 'create', '--name', 'Again', '--id', 'acme']);
    expect(taken.code).toBe(6);
    expect(taken.stderr).toContain('Pylon returned 409: POST /api/auth/orgs → ORG_EXISTS');

    const stranger = await pylon('alice', ['org', 'show', '--id', 'acme']);
    expect(stranger.code).toBe(6);
    expect(stranger.stderr).toContain('Pylon returned 404: GET /api/auth/orgs/acme → ORG_NOT_FOUND');
  });

  it('invite create prints the accept link; list; revoke; a non-member cannot list', async () => {
    const created = await pylon('boss', [
      'invite',
      'create',
      '--org-id',
      'acme',
      '--email',
      'carol@example.com',
    ]);
    expect(created.code, created.stderr).toBe(0);
    // The hosted invite page (the emailed link adds a mark that only the email carries).
    expect(created.stdout).toMatch(new RegExp(`^${url}/invite/pyinv_[A-Za-z0-9_-]+\\n$`));
    expect(created.stderr).toMatch(
      /invited carol@example\.com to acme as member \(invite \S+, expires 2026-12-02T/,
    );
    expect(t.mail.at(-1)!.to).toBe('carol@example.com');

    const listed = (await json('boss', ['invite', 'list', '--org-id', 'acme'])) as Array<{ id: string }>;
    expect(listed).toEqual([expect.objectContaining({ email: 'carol@example.com', role: 'member' })]);
    const table = await pylon('boss', ['invite', 'list', '--org-id', 'acme']);
    expect(table.stdout).toMatch(/^ID +EMAIL +ROLE +EXPIRES\n\S+ +carol@example\.com +member +2026-12-02T/);

    const denied = await pylon('alice', ['invite', 'list', '--org-id', 'acme']);
    expect(denied.code).toBe(6);

    const revoked = await json('boss', ['invite', 'revoke', '--org-id', 'acme', '--id', listed[0]!.id]);
    expect(revoked).toEqual({ id: listed[0]!.id, revoked: true });
    const gone = await pylon('boss', ['invite', 'revoke', '--org-id', 'acme', '--id', listed[0]!.id]);
    expect(gone.code).toBe(6);
    expect(gone.stderr).toContain('→ INVITE_NOT_FOUND');
    expect(await json('boss', ['invite', 'list', '--org-id', 'acme'])).toEqual([]);
  });

  it('member list, set-role, remove; the last owner stays (409)', async () => {
    const invite = await json('boss', ['invite', 'create', '--org-id', 'acme', '--email', ALICE]);
    const token = new URL(invite.accept_url).pathname.split('/').pop();
    const accepted = await t.request(`/api/auth/invites/${token}/accept`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.alice}` },
    });
    expect(accepted.status).toBe(200);

    const members = (await json('alice', ['member', 'list', '--org-id', 'acme'])) as Array<{
      user_id: string;
      email: string;
      role: string;
    }>;
    expect(members.map((m) => [m.email, m.role]).sort()).toEqual([
      [ALICE, 'member'],
      [BOSS, 'owner'],
    ]);
    const alice = members.find((m) => m.email === ALICE)!.user_id;
    const boss = members.find((m) => m.email === BOSS)!.user_id;
    const table = await pylon('boss', ['member', 'list', '--org-id', 'acme']);
    expect(table.stdout.split('\n')[0]).toMatch(/^USER +EMAIL +ROLE +JOINED$/);

    const notAllowed = await pylon('alice', [
      'member',
      'set-role',
      '--org-id',
      'acme',
      '--user-id',
      boss,
      '--role',
      'member',
    ]);
    expect(notAllowed.code).toBe(6);
    expect(notAllowed.stderr).toContain('Pylon returned 403');

    const promoted = await pylon('boss', [
      'member',
      'set-role',
      '--org-id',
      'acme',
      '--user-id',
      alice,
      '--role',
      'admin',
    ]);
    expect(promoted.code, promoted.stderr).toBe(0);
    expect(promoted.stderr).toBe(`${alice} is now admin in acme\n`);

    const lastOwner = await pylon('boss', [
      'member',
      'set-role',
      '--org-id',
      'acme',
      '--user-id',
      boss,
      '--role',
      'member',
    ]);
    expect(lastOwner.code).toBe(6);
    expect(lastOwner.stderr).toContain(
      `Pylon returned 409: PUT /api/auth/orgs/acme/members/${boss} → LAST_OWNER`,
    );

    expect(await json('boss', ['member', 'remove', '--org-id', 'acme', '--user-id', alice])).toEqual({
      user_id: alice,
      removed: true,
    });
    const after = (await json('boss', ['member', 'list', '--org-id', 'acme'])) as Array<{ email: string }>;
    expect(after.map((m) => m.email)).toEqual([BOSS]);
  });

  it('user list pages with --limit and --cursor, searches with --query; 403 for non-admins', async () => {
    const first = await json('boss', ['user', 'list', '--limit', '1']);
    expect(first.users).toEqual([
      {
        user_id: expect.any(String),
        email: BOSS,
        email_verified: true,
        display_name: null,
        created_at: expect.any(Number),
        disabled: false,
      },
    ]);
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = await json('boss', ['user', 'list', '--limit', '1', '--cursor', first.next_cursor]);
    expect(second.users.map((u: { email: string }) => u.email)).toEqual([ALICE]);

    const paged = await pylon('boss', ['user', 'list', '--limit', '1']);
    expect(paged.stdout).toMatch(
      /^USER +EMAIL +VERIFIED +NAME +CREATED +DISABLED\n\S+ +boss@example\.com +yes +2026-/,
    );
    expect(paged.stderr).toBe(`more users: pylon user list --cursor ${first.next_cursor}\n`);

    const searched = await json('boss', ['user', 'list', '--query', 'alice']);
    expect(searched.users.map((u: { email: string }) => u.email)).toEqual([ALICE]);
    expect(searched.next_cursor).toBeUndefined();

    const denied = await pylon('alice', ['user', 'list']);
    expect(denied.code).toBe(6);
    expect(denied.stderr).toContain('Pylon returned 403: GET /api/auth/users → FORBIDDEN');
  });

  it('org delete; the deleted org is gone (404) and the default org cannot be deleted', async () => {
    expect(await json('boss', ['org', 'delete', '--id', 'acme'])).toEqual({ id: 'acme', deleted: true });
    const gone = await pylon('boss', ['org', 'show', '--id', 'acme']);
    expect(gone.code).toBe(6);
    expect(gone.stderr).toContain('→ ORG_NOT_FOUND');
    const kept = await pylon('boss', ['org', 'delete', '--id', 'default']);
    expect(kept.code).toBe(6);
    expect(kept.stderr).toContain('→ DEFAULT_ORG');
  });
});
