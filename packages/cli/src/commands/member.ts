import { ChangeMemberRoleResponse, MemberList, RemoveMemberResponse } from '@pylon/core';
import type { Command } from 'commander';
import { renderTable } from '../output/table.js';
import { type CommandContext, withJSONOption, withOrgOptions } from './context.js';
import {
  connectIdentity,
  formatSeconds,
  type IdentityOptions,
  roleOption,
  segment,
  withOrgIdOption,
} from './identity-admin.js';

type MemberOptions = IdentityOptions & { orgId: string };

/** `pylon member …`: an org's members (`/api/auth/orgs/:id/members`). */
export function registerMemberCommands(program: Command, context: CommandContext): void {
  const member = program
    .command('member')
    .description("list an org's members, change their role, remove them");
  const command = (name: string, description: string) =>
    withJSONOption(withOrgOptions(withOrgIdOption(member.command(name).description(description))));

  command('list', "the org's members (any member may read)").action(async (options: MemberOptions) => {
    const { client, session } = await connectIdentity(context, options);
    const members = await client.callList(
      {
        method: 'GET',
        path: `/api/auth/orgs/${segment(options.orgId)}/members`,
        bearer: session.token,
      },
      MemberList,
    );
    if (options.json) return context.printer.json(members);
    context.printer.raw(
      renderTable(
        ['USER', 'EMAIL', 'ROLE', 'JOINED'],
        members.map((entry) => [
          entry.user_id,
          entry.email ?? '',
          entry.role,
          formatSeconds(entry.joined_at),
        ]),
      ),
    );
  });

  command('set-role', "change a member's role (owners and admins; only owners make owners)")
    .requiredOption('--user-id <id>', 'the member, as `member list` shows them')
    .addOption(roleOption('the new role'))
    .action(async (options: MemberOptions & { userId: string; role: string }) => {
      const { client, session } = await connectIdentity(context, options);
      const changed = await client.call(
        {
          method: 'PUT',
          path: `/api/auth/orgs/${segment(options.orgId)}/members/${segment(options.userId)}`,
          bearer: session.token,
          json: { role: options.role },
        },
        ChangeMemberRoleResponse,
      );
      if (options.json) return context.printer.json(changed);
      context.printer.note(`${changed.user_id} is now ${changed.role} in ${options.orgId}`);
    });

  command('remove', 'remove a member, or yourself to leave (the last owner can do neither)')
    .requiredOption('--user-id <id>', 'the member, as `member list` shows them')
    .action(async (options: MemberOptions & { userId: string }) => {
      const { client, session } = await connectIdentity(context, options);
      const removed = await client.call(
        {
          method: 'DELETE',
          path: `/api/auth/orgs/${segment(options.orgId)}/members/${segment(options.userId)}`,
          bearer: session.token,
        },
        RemoveMemberResponse,
      );
      if (options.json) return context.printer.json(removed);
      context.printer.note(`removed ${removed.user_id} from ${options.orgId}`);
    });
}
