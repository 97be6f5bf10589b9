import { WhoamiResponse } from '@pylon/core';
import type { Command } from 'commander';
import type { ResolvedOrg } from '../org/resolve-org.js';
import { formatTime } from '../output/format.js';
import { type CommandContext, withJSONOption, withOrgOptions } from './context.js';

interface OrgOptions {
  org?: string;
  orgUrl?: string;
  json?: boolean;
}

export function registerSessionCommands(program: Command, context: CommandContext): void {
  withJSONOption(
    withOrgOptions(
      program.command('whoami').description('show who the session is, in which org, and where it is stored'),
    ),
  ).action((options: OrgOptions) => whoami(context, options));

  withOrgOptions(
    program
      .command('logout')
      .description('sign out of an org: revoke the session and delete it from this machine'),
  ).action((options: OrgOptions) => logout(context, options));
}

async function whoami(context: CommandContext, options: OrgOptions): Promise<void> {
  const { org, client, session } = await context.connect(options);
  const answer = await client.call({ method: 'GET', path: '/whoami', bearer: session.token }, WhoamiResponse);
  const store = { source: session.source, location: session.location };
  if (options.json) {
    context.printer.json({ ...answer, api_url: org.api_url, session_store: store });
    return;
  }
  context.printer.out(
    [
      `email:            ${answer.email}`,
      `org:              ${answer.org_id} (${org.api_url})`,
      `archetype:        ${answer.archetype ?? '(none)'}`,
      // 0: a credential without an end (an API key made without an expiry).
      `session expires:  ${answer.session_expires_at === 0 ? 'never' : formatTime(answer.session_expires_at)}`,
      `session store:    ${describeStore(session.source)} — ${session.location}`,
    ].join('\n'),
  );
}

function describeStore(source: string): string {
  if (source === 'env') return 'environment';
  if (source === 'keyring') return 'OS keyring';
  return 'file (no OS keyring)';
}

async function logout(context: CommandContext, options: OrgOptions): Promise<void> {
  const { printer } = context;
  const org = await context.resolveOrg(options);
  const stored = await context.vault.findStored(org.id);
  if (!stored) {
    printer.note(`no session stored for ${org.id}`);
  } else {
    const revoked = await revokeOnServer(context, org, stored.token);
    await context.vault.remove(org.id);
    printer.note(
      `logged out of ${org.id}${revoked ? '' : ' (the server could not revoke the session; it was deleted here)'}`,
    );
  }
  if (context.environment.env['PYLON_SESSION_TOKEN']) {
    printer.note('note: PYLON_SESSION_TOKEN is still set in this environment');
  }
}

/**
 * Best effort: `DELETE /api/auth/session` on the identity surface at the deployment's root. A
 * failure never keeps the local copy alive.
 */
async function revokeOnServer(context: CommandContext, org: ResolvedOrg, token: string): Promise<boolean> {
  const client = context.identityClient(org, 10_000);
  try {
    const response = await client.send({ method: 'DELETE', path: '/api/auth/session', bearer: token });
    return (response.status >= 200 && response.status < 300) || response.status === 401;
  } catch {
    return false;
  }
}
