import type { Command } from 'commander';
import { type PylonConfig, setDefaultOrg, upsertOrg } from '../config/config.js';
import { canOpenBrowser } from '../login/desktop.js';
import { parseDeviceAuthorization } from '../login/device-flow.js';
import { pollForSession } from '../login/poll-device.js';
import { startSpinner } from '../login/spinner.js';
import { type HTTPClient, isRecord, serverError } from '../net/http-client.js';
import { type ResolvedOrg, verifyCachedOrg } from '../org/resolve-org.js';
import type { Session } from '../session/session-vault.js';
import { type CommandContext, withOrgOptions } from './context.js';

interface LoginOptions {
  org?: string;
  orgUrl?: string;
  replace?: boolean;
  browser: boolean;
}

export function registerLogin(program: Command, context: CommandContext): void {
  withOrgOptions(
    program
      .command('login')
      .description('sign in to an org with a device code (approved in the browser) and keep the session')
      .option('--replace', 'sign in again even when a valid session is stored')
      .option('--no-browser', 'print the URL without trying to open a browser'),
  ).action((options: LoginOptions) => login(context, options));
}

async function login(context: CommandContext, options: LoginOptions): Promise<void> {
  const { printer, environment } = context;
  const config = await context.loadConfig();
  const resolved = await context.resolveOrg(options, config);
  // A configured org is discovered again: logging in is when a moved or replaced org must surface.
  const discovered = resolved.discovered ?? (await verifyCachedOrg(resolved, context.discover));
  const org: ResolvedOrg = { ...resolved, api_url: discovered.api_url };
  const client = context.client(org);

  if (!options.replace) {
    const existing = await context.vault.find(org.id);
    const email = existing ? await sessionEmail(client, existing) : undefined;
    if (existing && email !== undefined) {
      await rememberOrg(context, config, org);
      printer.note(
        `already logged in to ${org.id} as ${email} (session in ${existing.location}); use --replace to sign in again`,
      );
      return;
    }
  }

  // A store that cannot keep the session fails before anyone is asked to approve the login.
  await context.vault.checkStore();
  const init = { method: 'POST', path: '/device/init' } as const;
  const authorization = parseDeviceAuthorization(
    await client.call({ ...init, json: { client: context.userAgent, org_id: org.id } }),
    org.api_url,
  );
  const minutes = Math.max(1, Math.round(authorization.expires_in / 60));
  printer.note(
    [
      `To sign in to ${org.id}, open this page in a browser:`,
      '',
      `    ${authorization.verification_url}`,
      '',
      `and enter the code:  ${authorization.user_code}`,
      `(the code expires in about ${minutes} minute${minutes === 1 ? '' : 's'})`,
    ].join('\n'),
  );
  if (options.browser && canOpenBrowser(environment.env, environment.platform)) {
    // The page with the code filled in still asks the person to confirm the code they see here.
    environment.openBrowser(authorization.verification_url_complete ?? authorization.verification_url);
  }

  const spinner = startSpinner(environment.stderr, 'waiting for approval in the browser…');
  let token: string;
  try {
    token = await pollForSession(client, authorization, {
      sleep: environment.sleep,
      now: environment.now,
      signal: environment.interrupt,
    });
  } finally {
    spinner.stop();
  }

  const stored = await context.vault.save(org.id, token);
  await rememberOrg(context, config, org);
  const email = await sessionEmail(client, stored);
  printer.note(`logged in to ${org.id}${email ? ` as ${email}` : ''}; session stored in ${stored.location}`);
  if (environment.env['PYLON_SESSION_TOKEN']) {
    printer.note('note: PYLON_SESSION_TOKEN is set and takes precedence over the stored session');
  }
}

/** The org goes into the config (the first one becomes the default), so later commands find it. */
async function rememberOrg(context: CommandContext, config: PylonConfig, org: ResolvedOrg): Promise<void> {
  let next = upsertOrg(config, { id: org.id, api_url: org.api_url });
  if (next.default_org === undefined) next = setDefaultOrg(next, org.id);
  if (JSON.stringify(next) !== JSON.stringify(config)) await context.saveConfig(next);
}

/** The session's email via `GET /whoami`; undefined when the server no longer knows the session. */
async function sessionEmail(client: HTTPClient, session: Session): Promise<string | undefined> {
  const request = { method: 'GET', path: '/whoami', bearer: session.token } as const;
  const response = await client.send(request);
  if (response.status === 401) return undefined;
  if (response.status < 200 || response.status > 299) throw serverError(request, response);
  const email = isRecord(response.body) ? response.body['email'] : undefined;
  return typeof email === 'string' ? email : '';
}
