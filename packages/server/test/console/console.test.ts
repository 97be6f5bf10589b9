import { prepareSchema } from '@pylon/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_CSS_PATH, CONSOLE_JS_PATH } from '../../src/features/console/assets.js';
import { testDatabases } from '../support/databases.js';
import { followShown } from '../support/page-browser.js';
import { startTestServer, type TestServer } from '../support/server.js';

const OWNER = 'owner@example.com';
const MEMBER = 'member@example.com';

/**
 * The console's server-side guarantees, in process on each database: every page that shows data
 * refuses a member without the capability (the API's own check), every form refuses a post without
 * the page's CSRF token or from another origin, and what people typed is escaped.
 */
describe.each(testDatabases)('admin console on $kind', (database) => {
  let t: TestServer;
  let origin: string;
  let owner: string;
  let member: string;

  const json = async (path: string, body: unknown, token?: string) => {
    const response = await t.request(`/api/auth${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return (await response.json()) as Record<string, string>;
  };
  const signIn = async (email: string) => {
    t.clock.advance(61_000);
    const sent = await json('/magic/send', { email });
    return (await json('/magic/verify', { email, code: sent.dev_code })).token!;
  };
  /** A browser's GET: the session cookie, and the CSRF cookie when the page set one. */
  const page = async (path: string, session?: string, csrfCookie?: string) => {
    const cookies = [
      session ? `pylon_session=${session}` : '',
      csrfCookie ? `pylon_console_csrf=${csrfCookie}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    const response = await t.request(path, { headers: cookies ? { cookie: cookies } : {} });
    return { status: response.status, text: await response.text(), headers: response.headers };
  };
  /** A page's CSRF token: its cookie and the hidden field it put in the forms. */
  const csrfOf = async (path: string, session: string) => {
    const shown = await page(path, session);
    const cookie = /pylon_console_csrf=([^;]+)/.exec(shown.headers.get('set-cookie') ?? '')![1]!;
    expect(shown.text).toContain(`name="csrf" value="${cookie}"`);
    return cookie;
  };
  const post = async (
    path: string,
    session: string,
    fields: Record<string, string>,
    options: { csrfCookie?: string; origin?: string } = {},
  ) => {
    const cookie = `pylon_session=${session}${options.csrfCookie ? `; pylon_console_csrf=${options.csrfCookie}` : ''}`;
    const response = await t.request(path, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: options.origin ?? origin,
        cookie,
      },
      body: new URLSearchParams(fields).toString(),
    });
    const shown = await followShown(t, response, cookie);
    return { status: shown.status, text: await shown.text() };
  };
  const apps = async () => {
    const response = await t.request('/o/acme/apps', { headers: { authorization: `Bearer ${owner}` } });
    return ((await response.json()) as { apps: Array<{ app_id: string }> }).apps.map((app) => app.app_id);
  };

  beforeAll(async () => {
    t = await startTestServer(database);
    origin = t.server.services.config.publicURL;
    owner = await signIn(OWNER);
    await json('/orgs', { name: 'Acme <Notes>', id: 'acme' }, owner);
    member = await signIn(MEMBER);
    const invite = await json('/orgs/acme/invites', { email: MEMBER, role: 'member' }, owner);
    await json(`/invites/${invite.token}/accept`, {}, member);
  });
  afterAll(() => t?.close());

  it('sends a signed-out visitor to sign in, and serves pages under a strict CSP', async () => {
    const signedOut = await page('/console');
    expect(signedOut.status).toBe(401);
    expect(signedOut.text).toContain('href="/login?return_to=%2Fconsole"');
    const home = await page('/console', owner);
    expect(home.status).toBe(200);
    expect(home.headers.get('content-security-policy')).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    expect(home.headers.get('cache-control')).toBe('no-store');
    // The org's name is what its creator typed: shown escaped, never as markup.
    expect(home.text).toContain('Acme &lt;Notes&gt;');
    expect(home.text).not.toContain('<Notes>');
    expect(home.text).not.toMatch(/<script(?![^>]*src=)/);
  });

  it('refuses a member the pages whose API needs a capability they lack', async () => {
    for (const path of ['/console/orgs/acme/apps', '/console/orgs/acme/audit']) {
      const shown = await page(path, member);
      expect(shown.status, path).toBe(403);
      expect(shown.text, path).toContain('(insufficient_capability)');
      expect(shown.text, path).not.toContain(OWNER);
    }
    const stream = await t.request('/console/orgs/acme/audit/stream', {
      headers: { cookie: `pylon_session=${member}` },
    });
    expect(stream.status).toBe(403);
    expect(await stream.json()).toMatchObject({ error: 'insufficient_capability' });
    // A member may see the members list (as GET /api/auth/orgs/:id/members allows), not the invites.
    const members = await page('/console/orgs/acme', member);
    expect(members.status).toBe(200);
    expect(members.text).not.toContain('Send invite');
    // Someone outside the org sees nothing of it (the orgs API does not even say it exists).
    const stranger = await signIn('stranger@example.com');
    const outside = await page('/console/orgs/acme', stranger);
    expect(outside.status).toBe(404);
    expect(outside.text).not.toContain('Acme');
    expect((await page('/console/orgs/acme/apps', stranger)).status).toBe(403);
    expect((await page('/console/orgs/nope/apps', owner)).status).toBe(404);
  });

  it('shows each grant with when it was granted (the API’s milliseconds) and by whom', async () => {
    const csrf = await csrfOf('/console/orgs/acme/apps', owner);
    const granted = await post(
      '/console/orgs/acme/grants',
      owner,
      { csrf, email: 'granted@example.com', app_id: 'pylon', archetype: 'pylon-auditor', capabilities: '' },
      { csrfCookie: csrf },
    );
    expect(granted.status).toBe(200);
    const at = new Date(t.clock.now()).toISOString().slice(0, 16).replace('T', ' ');
    const shown = await page('/console/orgs/acme/apps', owner);
    expect(shown.text).toMatch(
      new RegExp(
        `<td data-label="Person">granted@example.com</td><td data-label="App">pylon</td><td data-label="Archetype">pylon-auditor</td><td data-label="Extra capabilities"></td><td data-label="Granted">${at}:\\d\\d UTC by ${OWNER}</td>`,
      ),
    );
  });

  it('says which field its form refused on the page, not as JSON, and registers nothing', async () => {
    const csrf = await csrfOf('/console/orgs/acme/apps', owner);
    const before = await apps();
    const fields = { name: 'long-described', owner: OWNER, description: 'd'.repeat(1001) };
    const refused = await post('/console/orgs/acme/apps', owner, { ...fields, csrf }, { csrfCookie: csrf });
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('<title>');
    expect(refused.text).toMatch(/role="alert"[^>]*>[^<]*Description is too long: at most 1000 characters\./);
    expect(refused.text).not.toContain('d'.repeat(1001));
    // What was typed in the other fields is still there.
    expect(refused.text).toContain('name="name" required');
    expect(refused.text).toMatch(/id="app-name"[^>]*value="long-described"/);
    expect(refused.text).toMatch(new RegExp(`id="app-owner"[^>]*value="${OWNER.replace('.', '\\.')}"`));
    // An API refusal keeps them too (the id is taken).
    const twice = { csrf, name: 'twice', owner: OWNER, description: 'kept <b>as text</b>' };
    expect((await post('/console/orgs/acme/apps', owner, twice, { csrfCookie: csrf })).status).toBe(200);
    const taken = await post('/console/orgs/acme/apps', owner, twice, { csrfCookie: csrf });
    expect(taken.status).toBe(409);
    expect(taken.text).toMatch(/id="app-description"[^>]*value="kept &lt;b&gt;as text&lt;\/b&gt;"/);
    // The same post without the page's token is the forged-form refusal, whatever its fields.
    const forged = await post('/console/orgs/acme/apps', owner, fields, { csrfCookie: csrf });
    expect(forged.status).toBe(403);
    expect(forged.text).toContain('This form expired or was sent from another site');
    expect(await apps()).toEqual([...before, 'twice'].sort());
  });

  it('refuses a member’s form post with the API’s answer, and changes nothing', async () => {
    const csrf = await csrfOf('/console', member);
    const refused = await post(
      '/console/orgs/acme/apps',
      member,
      { csrf, name: 'sneaky', owner: MEMBER },
      { csrfCookie: csrf },
    );
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('(insufficient_capability)');
    expect(await apps()).not.toContain('sneaky');
  });

  it('refuses a form post without the page’s CSRF token, with a wrong one, or from another origin', async () => {
    const csrf = await csrfOf('/console/orgs/acme/apps', owner);
    const fields = { name: 'notes', owner: OWNER };
    const missing = await post('/console/orgs/acme/apps', owner, fields, { csrfCookie: csrf });
    expect(missing.status).toBe(403);
    expect(missing.text).toContain('sent from another site; nothing was changed');
    const wrong = await post(
      '/console/orgs/acme/apps',
      owner,
      // The last character changed (to one it is not: 'A' was the right token 1 time in 64).
      { ...fields, csrf: `${csrf.slice(0, -1)}${csrf.endsWith('A') ? 'B' : 'A'}` },
      { csrfCookie: csrf },
    );
    expect(wrong.status).toBe(403);
    const noCookie = await post('/console/orgs/acme/apps', owner, { ...fields, csrf });
    expect(noCookie.status).toBe(403);
    const crossSite = await post(
      '/console/orgs/acme/apps',
      owner,
      { ...fields, csrf },
      { csrfCookie: csrf, origin: 'https://evil.example' },
    );
    expect(crossSite.status).toBe(403);
    expect(await apps()).not.toContain('notes');

    const registered = await post(
      '/console/orgs/acme/apps',
      owner,
      { ...fields, csrf },
      { csrfCookie: csrf },
    );
    expect(registered.status).toBe(200);
    expect(registered.text).toMatch(/<code class="secret" id="app-token">pyat_[^<]+<\/code>/);
    expect(await apps()).toContain('notes');
    // The API's validation answers through the page: a name that is no slug.
    const invalid = await post(
      '/console/orgs/acme/apps',
      owner,
      { csrf, name: 'Not A Slug', owner: OWNER },
      { csrfCookie: csrf },
    );
    expect(invalid.status).toBe(400);
    expect(invalid.text).toContain('(invalid_app_id)');
  });

  it('shows the SSO settings with the SP metadata to copy; only owners get the forms, as the SSO API decides', async () => {
    const shown = await page('/console/orgs/acme/sso', owner);
    expect(shown.status).toBe(200);
    expect(shown.text).toContain(`value="${origin}/api/auth/orgs/acme/saml/metadata" readonly`);
    expect(shown.text).toContain(`value="${origin}/api/auth/orgs/acme/saml/acs" readonly`);
    expect(shown.text).toContain('Save OIDC connection');
    const forMember = await page('/console/orgs/acme/sso', member);
    expect(forMember.status).toBe(200);
    expect(forMember.text).toContain('/api/auth/orgs/acme/saml/metadata');
    expect(forMember.text).not.toContain('Save OIDC connection');

    const fields = { issuer_url: 'https://idp.invalid', client_id: 'c', client_secret: 's' };
    const memberCSRF = await csrfOf('/console', member);
    const refused = await post(
      '/console/orgs/acme/sso/oidc',
      member,
      { ...fields, csrf: memberCSRF },
      { csrfCookie: memberCSRF },
    );
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('(FORBIDDEN)');
    const ownerCSRF = await csrfOf('/console/orgs/acme/sso', owner);
    const insecure = await post(
      '/console/orgs/acme/sso/oidc',
      owner,
      { ...fields, issuer_url: 'http://idp.example.com', csrf: ownerCSRF },
      { csrfCookie: ownerCSRF },
    );
    expect(insecure.status).toBe(400);
    expect(insecure.text).toContain('(INSECURE_SSO_URL)');
    expect(insecure.text).toContain('No OIDC connection.');
  });

  it('shows deployment admins the users and signing keys, and rotates a key; refuses everyone else', async () => {
    const keyCount = async () =>
      ((await (await t.request('/.well-known/pylon-keys')).json()) as { keys: unknown[] }).keys.length;
    // An org owner is no deployment admin: the users API refuses them, and so does the rotation.
    const refused = await page('/console/deployment', owner);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('(FORBIDDEN)');
    // Nor does the navigation offer them the page, on any page.
    const deploymentLink = 'href="/console/deployment"';
    expect(refused.text).not.toContain(deploymentLink);
    expect((await page('/console', owner)).text).not.toContain(deploymentLink);
    expect((await page('/console', member)).text).not.toContain(deploymentLink);
    const ownerCSRF = await csrfOf('/console', owner);
    const before = await keyCount();
    const notRotated = await post(
      '/console/deployment/keys/rotate',
      owner,
      { csrf: ownerCSRF },
      { csrfCookie: ownerCSRF },
    );
    expect(notRotated.status).toBe(403);
    expect(await keyCount()).toBe(before);

    // Development mode: the first verified sign-in claims the deployment.
    const root = await signIn('root@example.com');
    const claimed = await t.request('/bootstrap', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${root}` },
      body: '{}',
    });
    expect(claimed.status).toBe(200);
    const shown = await page('/console/deployment?q=member', root);
    expect(shown.status).toBe(200);
    expect(shown.text).toContain(`${deploymentLink} aria-current="page"`);
    expect((await page('/console', root)).text).toContain(deploymentLink);
    expect(shown.text).toContain(MEMBER);
    expect(shown.text).not.toContain(OWNER);
    // What Disable does is said in a person's words, not as the API route behind it.
    expect(shown.text).toContain('refuses their sign-ins until they are enabled again');
    expect(shown.text).not.toContain('/api/auth/users');
    const csrf = /name="csrf" value="([^"]+)"/.exec(shown.text)![1]!;
    const cookie = /pylon_console_csrf=([^;]+)/.exec(shown.headers.get('set-cookie') ?? '')![1]!;
    expect(csrf).toBe(cookie);
    const rotated = await post('/console/deployment/keys/rotate', root, { csrf }, { csrfCookie: csrf });
    expect(rotated.status).toBe(200);
    expect(rotated.text).toMatch(/Published key [^;]+; it signs from/);
    expect(await keyCount()).toBe(before + 1);
    const audit = await t.request('/api/auth/audit/deployment?action=signing_key.rotated&since=0', {
      headers: { authorization: `Bearer ${root}` },
    });
    expect(audit.status).toBe(200);
    const entries = ((await audit.json()) as { entries: Array<{ actor: string }> }).entries;
    expect(entries.map((entry) => entry.actor)).toEqual(['root@example.com']);

    // An id no account has: "Not found", not an empty sessions list.
    const nobody = await page('/console/deployment/users/usr_nonexistent', root);
    expect(nobody.status).toBe(404);
    expect(nobody.text).toContain('Not found');
    expect(nobody.text).not.toContain('No live sessions');

    // Disable and enable a user from the page, through POST /api/auth/users/:id/disable|enable.
    const victim = await signIn('victim@example.com');
    const listed = await page('/console/deployment?q=victim', root);
    const disableAt = /action="(\/console\/deployment\/users\/[^/"]+\/disable)"/.exec(listed.text)![1]!;
    const sessionsAt = disableAt.replace(/\/disable$/, '');
    const sessions = await page(sessionsAt, root);
    expect(sessions.status).toBe(200);
    expect(sessions.text).toMatch(/<td data-label="Kind">browser<\/td>/);
    expect((await page(sessionsAt, owner)).status).toBe(403);
    const ownerTry = await post(disableAt, owner, { csrf: ownerCSRF }, { csrfCookie: ownerCSRF });
    expect(ownerTry.status).toBe(403);
    expect(
      (await t.request('/api/auth/sessions', { headers: { authorization: `Bearer ${victim}` } })).status,
    ).toBe(200);
    const disabled = await post(disableAt, root, { csrf }, { csrfCookie: csrf });
    expect(disabled.status).toBe(200);
    expect(disabled.text).toContain('User disabled; 1 session(s) ended.');
    expect(
      (await t.request('/api/auth/sessions', { headers: { authorization: `Bearer ${victim}` } })).status,
    ).toBe(401);
    const enabled = await post(disableAt.replace(/disable$/, 'enable'), root, { csrf }, { csrfCookie: csrf });
    expect(enabled.text).toContain('User enabled; they can sign in again.');
  });

  it('registers, lists and deletes OAuth clients for owners through /oauth/clients; refuses members', async () => {
    expect((await page('/console/orgs/acme/oauth', member)).status).toBe(403);
    const csrf = await csrfOf('/console/orgs/acme/oauth', owner);
    const made = await post(
      '/console/orgs/acme/oauth',
      owner,
      {
        csrf,
        client_name: 'Notes desktop',
        redirect_uris: 'http://127.0.0.1:7777/cb\nhttps://notes.example/cb',
        confidential: 'on',
      },
      { csrfCookie: csrf },
    );
    expect(made.status).toBe(200);
    const clientId = /id="client-id">([^<]+)</.exec(made.text)![1]!;
    expect(made.text).toMatch(/id="client-secret">pycs_[0-9a-f]+</);
    const listed = await page('/console/orgs/acme/oauth', owner);
    expect(listed.text).toContain(clientId);
    expect(listed.text).toContain('https://notes.example/cb');
    expect(listed.text).not.toContain('pycs_'); // the secret is shown once, in the POST's answer only
    const bad = await post(
      '/console/orgs/acme/oauth',
      owner,
      { csrf, client_name: 'Bad', redirect_uris: 'javascript:alert(1)' },
      { csrfCookie: csrf },
    );
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('(invalid_redirect_uri)');
    // A name that would reorder the consent page's sentence (a right-to-left override).
    const spoofing = await post(
      '/console/orgs/acme/oauth',
      owner,
      { csrf, client_name: 'Wiki\u202egnp.exe', redirect_uris: 'https://wiki.example/cb' },
      { csrfCookie: csrf },
    );
    expect(spoofing.status).toBe(400);
    expect(spoofing.text).toContain('client_name: must not contain control, format (bidi, zero-width)');
    expect(spoofing.text).toContain('(validation_failed)');
    const foreign = await post(
      `/console/orgs/acme/oauth/${clientId}/delete`,
      owner,
      { csrf: 'x'.repeat(32) },
      { csrfCookie: csrf },
    );
    expect(foreign.status).toBe(403);
    const deleted = await post(
      `/console/orgs/acme/oauth/${clientId}/delete`,
      owner,
      { csrf },
      { csrfCookie: csrf },
    );
    expect(deleted.text).toContain('Client deleted.');
    expect((await page('/console/orgs/acme/oauth', owner)).text).not.toContain(clientId);
  });

  it('shows a pending destructive version to a member but approves it only for a holder of pylon:schema.approve-migration', async () => {
    const csrf = await csrfOf('/console/orgs/acme/apps', owner);
    const registered = await post(
      '/console/orgs/acme/apps',
      owner,
      { csrf, name: 'wiki', owner: OWNER },
      { csrfCookie: csrf },
    );
    const appToken = /id="app-token">([^<]+)</.exec(registered.text)![1]!;
    const push = async (source: string) =>
      (
        await t.request('/o/acme/apps/wiki/schema', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-pylon-app-token': appToken },
          body: prepareSchema(source, 'wiki', { cliVersion: '0.0.0-test' }),
        })
      ).json();
    await push(
      'version_tag: "1"\ncapabilities:\n  - name: page.read\n  - name: page.edit\narchetypes:\n  - name: editor\n    capabilities: [page.read, page.edit]\n',
    );
    expect(
      await push(
        'version_tag: "2"\ncapabilities:\n  - name: page.read\narchetypes:\n  - name: editor\n    capabilities: [page.read]\n  - name: reader\n    capabilities: [page.read]\n',
      ),
    ).toMatchObject({ status: 'pending_approval', version: 2 });

    const shown = await page('/console/orgs/acme/apps/wiki/schema', member);
    expect(shown.status).toBe(200);
    expect(shown.text).toContain('Pending version 2: destructive changes');
    // A change is said in words beside its colour (WCAG 2.1 SC 1.4.1), and the list of changes in
    // sentences, not the diff's machine types.
    expect(shown.text).toContain('<li class="removed">wiki:page.edit (removed)</li>');
    expect(shown.text).toContain('<li class="added"><strong>wiki:reader</strong> (new)');
    expect(shown.text).toContain('Capability <code>wiki:page.edit</code> is removed');
    expect(shown.text).not.toMatch(/capability_removed|archetype_caps_removed|archetype_added/);
    const memberCSRF = await csrfOf('/console', member);
    const refused = await post(
      '/console/orgs/acme/apps/wiki/schema/approve',
      member,
      { csrf: memberCSRF, version: '2' },
      { csrfCookie: memberCSRF },
    );
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('(insufficient_capability)');
    expect(refused.text).toContain('Pending version 2');

    const approved = await post(
      '/console/orgs/acme/apps/wiki/schema/approve',
      owner,
      { csrf, version: '2' },
      { csrfCookie: csrf },
    );
    expect(approved.status).toBe(200);
    expect(approved.text).toContain('Approved version 2; 0 grant(s) revoked.');
    expect(approved.text).toContain('No version is waiting for approval.');
    const again = await post(
      '/console/orgs/acme/apps/wiki/schema/approve',
      owner,
      { csrf, version: '2' },
      { csrfCookie: csrf },
    );
    expect(again.status).toBe(404);
    expect(again.text).toContain('(nothing_pending)');
  });

  it('answers a form that did something with a redirect to its outcome, shown once: a reload posts nothing', async () => {
    const csrf = await csrfOf('/console/orgs/acme', owner);
    const cookie = `pylon_session=${owner}; pylon_console_csrf=${csrf}`;
    const email = 'shown-once@example.com';
    const posted = await t.request('/console/orgs/acme/invites', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin, cookie },
      body: new URLSearchParams({ email, role: 'member', csrf }).toString(),
    });
    expect(posted.status).toBe(303);
    const to = posted.headers.get('location')!;
    expect(to).toMatch(/^\/shown\/[\w-]{32}$/);
    // The kept page is sealed at rest: the invite's link is not in the table as text.
    const rows = await t.storage.db.selectFrom('shown_once').selectAll().execute();
    expect(rows.length).toBeGreaterThan(0);
    expect(JSON.stringify(rows)).not.toContain('pyinv_');
    // Another session cannot read it; then the one that posted sees the outcome, once.
    expect((await t.request(to, { headers: { cookie: `pylon_session=${member}` } })).status).toBe(410);
    const shown = await t.request(to, { headers: { cookie } });
    expect(shown.status).toBe(200);
    expect(shown.headers.get('cache-control')).toBe('no-store');
    expect(shown.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await shown.text()).toContain(`Invited <strong>${email}</strong>`);
    const reloaded = await t.request(to, { headers: { cookie } });
    expect(reloaded.status).toBe(410);
    const again = await reloaded.text();
    expect(again).toContain('Already shown');
    expect(again).not.toContain('/invite/pyinv_');
    // A kept page not fetched within five minutes is gone too.
    const late = await t.request('/console/orgs/acme/invites', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin, cookie },
      body: new URLSearchParams({ email: 'late-shown@example.com', role: 'member', csrf }).toString(),
    });
    t.clock.advance(5 * 60_000);
    expect((await t.request(late.headers.get('location')!, { headers: { cookie } })).status).toBe(410);
    // One invite: nothing was posted again.
    const pending = await t.request('/api/auth/orgs/acme/invites', {
      headers: { authorization: `Bearer ${owner}` },
    });
    expect(
      ((await pending.json()) as Array<{ email: string }>).filter((i) => i.email === email),
    ).toHaveLength(1);
  });

  it('pages and filters the audit log without script', async () => {
    const all = await page('/console/orgs/acme/audit', owner);
    expect(all.status).toBe(200);
    expect(all.text).toContain('org.invite_accepted');
    expect(all.text).toContain(`src="${CONSOLE_JS_PATH}"`);
    const filtered = await page('/console/orgs/acme/audit?action=org.invite_sent', owner);
    expect(filtered.text).toContain('org.invite_sent');
    expect(filtered.text).not.toContain('org.invite_accepted');
    const byActor = await page(`/console/orgs/acme/audit?actor=${encodeURIComponent(MEMBER)}`, owner);
    expect(byActor.text).toContain('org.invite_accepted');
    expect(byActor.text).not.toContain('org.invite_sent');
    // The detail reads as one `key: value` line per field (labelled with its column for a phone),
    // not one line of JSON.
    const filteredText = (await page('/console/orgs/acme/audit?action=org.invite_sent', owner)).text;
    expect(filteredText).toMatch(
      /<td data-label="Detail"><ul class="detail"><li><span class="key">invite_id:<\/span> [^<]+<\/li><li><span class="key">role:<\/span> member<\/li><\/ul><\/td>/,
    );
    expect(filteredText).not.toContain('{&quot;invite_id');
    // A time range that ended before anything happened shows nothing, and no live tail.
    const before = await page('/console/orgs/acme/audit?until=2000-01-01T00:00', owner);
    expect(before.text).not.toContain('org.invite_sent');
    expect(before.text).toContain('data-stream=""');
    // An address typed with capitals still finds its entries.
    const shouted = await page(
      `/console/orgs/acme/audit?actor=${encodeURIComponent(MEMBER.toUpperCase())}`,
      owner,
    );
    expect(shouted.text).toContain('org.invite_accepted');
    // A filter that cannot be read is said above the form, which keeps it: not a permission page.
    const typo = await page('/console/orgs/acme/audit?from=yesterday&action=org.invite_sent', owner);
    expect(typo.status).toBe(400);
    expect(typo.text).toContain('From: not a date and time.');
    expect(typo.text).not.toContain('Not allowed');
    expect(typo.text).toContain('value="org.invite_sent"');
    const inverted = await page(
      '/console/orgs/acme/audit?from=2030-01-02T00:00&until=2030-01-01T00:00',
      owner,
    );
    expect(inverted.status).toBe(400);
    expect(inverted.text).toContain('From is later than Until: no entry can be in that range.');
    expect((await page('/console/orgs/acme/audit?cursor=bm9wZQ', owner)).status).toBe(400);
  });

  it('streams new audit entries as server-sent events, and resumes after Last-Event-ID', async () => {
    /** Reads the stream until an `audit` event whose data names `action`; returns that event's id. */
    const readUntil = async (response: Response, action: string): Promise<string> => {
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`the stream ended before ${action}`);
          text += decoder.decode(value, { stream: true });
          for (const event of text.split('\n\n').slice(0, -1)) {
            const data = /^data: (.*)$/m.exec(event)?.[1];
            if (data && (JSON.parse(data) as { action: string }).action === action) {
              return /^id: (.*)$/m.exec(event)![1]!;
            }
          }
        }
      } finally {
        await reader.cancel();
      }
    };
    const open = (headers: Record<string, string> = {}) =>
      t.request('/console/orgs/acme/audit/stream', {
        headers: { cookie: `pylon_session=${owner}`, ...headers },
      });

    const live = await open();
    expect(live.status).toBe(200);
    expect(live.headers.get('content-type')).toContain('text/event-stream');
    await json('/orgs/acme/invites', { email: 'later@example.com', role: 'member' }, owner);
    const id = await readUntil(live, 'org.invite_sent');

    // A reconnecting browser names the last entry it had and gets what came after it.
    await json('/orgs/acme/invites', { email: 'after@example.com', role: 'admin' }, owner);
    const resumed = await open({ 'last-event-id': id });
    expect(await readUntil(resumed, 'org.invite_sent')).not.toBe(id);
    const filtered = await t.request(`/console/orgs/acme/audit/stream?action=org.invite_sent&after=${id}`, {
      headers: { cookie: `pylon_session=${owner}` },
    });
    expect(await readUntil(filtered, 'org.invite_sent')).not.toBe(id);
  });

  it('serves its stylesheet and script under their hashed names only', async () => {
    const css = await t.request(CONSOLE_CSS_PATH);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toContain('text/css');
    expect(css.headers.get('cache-control')).toContain('immutable');
    const js = await t.request(CONSOLE_JS_PATH);
    expect(js.headers.get('content-type')).toContain('text/javascript');
    expect(await js.text()).toContain('EventSource');
    expect((await t.request('/console/assets/console.0000000000000000.js')).status).toBe(404);
  });
});
