import { InviteList, InviteResponse, WithdrawInviteResponse } from '@pylon/core';
import type { Command } from 'commander';
import { renderTable } from '../output/table.js';
import { type CommandContext, withJSONOption, withOrgOptions } from './context.js';
import {
  connectIdentity,
  formatSeconds,
  type IdentityOptions,
  parseEmail,
  roleOption,
  segment,
  withOrgIdOption,
} from './identity-admin.js';

type InviteOptions = IdentityOptions & { orgId: string };

/** `pylon invite …`: invitations into an org (`/api/auth/orgs/:id/invites`). */
export function registerInviteCommands(program: Command, context: CommandContext): void {
  const invite = program
    .command('invite')
    .description('invite people into an org by email, list and withdraw invites');
  const command = (name: string, description: string) =>
    withJSONOption(withOrgOptions(withOrgIdOption(invite.command(name).description(description))));

  command('create', 'invite an email (single use, 7 days); the accept link is emailed and printed')
    .requiredOption('--email <email>', 'who', parseEmail)
    .addOption(roleOption('the role the invite grants', 'member'))
    .action(async (options: InviteOptions & { email: string; role: string }) => {
      const { client, session } = await connectIdentity(context, options);
      const created = await client.call(
        {
          method: 'POST',
          path: `/api/auth/orgs/${segment(options.orgId)}/invites`,
          bearer: session.token,
          json: { email: options.email, role: options.role },
        },
        InviteResponse,
      );
      // The answer as the server gave it: it carries a bare token only in development mode.
      if (options.json) return context.printer.json(created);
      context.printer.note(
        `invited ${created.email} to ${options.orgId} as ${created.role} (invite ${created.id}, expires ${formatSeconds(created.expires_at)}); accept link:`,
      );
      if (created.accept_url !== undefined) context.printer.out(created.accept_url);
    });

  command('list', 'pending invites (owners and admins)').action(async (options: InviteOptions) => {
    const { client, session } = await connectIdentity(context, options);
    const invites = await client.callList(
      {
        method: 'GET',
        path: `/api/auth/orgs/${segment(options.orgId)}/invites`,
        bearer: session.token,
      },
      InviteList,
    );
    if (options.json) return context.printer.json(invites);
    if (invites.length === 0) return context.printer.note(`no pending invites in ${options.orgId}`);
    context.printer.raw(
      renderTable(
        ['ID', 'EMAIL', 'ROLE', 'EXPIRES'],
        invites.map((entry) => [entry.id, entry.email, entry.role, formatSeconds(entry.expires_at)]),
      ),
    );
  });

  command('revoke', 'withdraw a pending invite (owners and admins)')
    .requiredOption('--id <invite>', 'the invite id, as `invite list` shows it')
    .action(async (options: InviteOptions & { id: string }) => {
      const { client, session } = await connectIdentity(context, options);
      const revoked = await client.call(
        {
          method: 'DELETE',
          path: `/api/auth/orgs/${segment(options.orgId)}/invites/${segment(options.id)}`,
          bearer: session.token,
        },
        WithdrawInviteResponse,
      );
      if (options.json) return context.printer.json(revoked);
      context.printer.note(`withdrew invite ${revoked.id}`);
    });
}
