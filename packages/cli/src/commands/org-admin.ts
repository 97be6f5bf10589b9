import { DeleteOrgResponse, Org, OrgList, OrgView } from '@pylon/core';
import type { Command } from 'commander';
import { renderTable } from '../output/table.js';
import { type CommandContext, withJSONOption, withOrgOptions } from './context.js';
import {
  connectIdentity,
  formatSeconds,
  type IdentityOptions,
  parseOrgId,
  segment,
} from './identity-admin.js';

/** `pylon org …`: the orgs of the deployment, on the identity surface (`/api/auth/orgs`). */
export function registerOrgAdminCommands(program: Command, context: CommandContext): void {
  const org = program
    .command('org')
    .description('list, create, show and delete orgs of the deployment (`use` picks the org to work in)');

  withJSONOption(
    withOrgOptions(org.command('list').description('the orgs you belong to, with your role')),
  ).action(async (options: IdentityOptions) => {
    const { client, session } = await connectIdentity(context, options);
    const orgs = await client.callList(
      {
        method: 'GET',
        path: '/api/auth/orgs',
        bearer: session.token,
      },
      OrgList,
    );
    if (options.json) return context.printer.json(orgs);
    if (orgs.length === 0) return context.printer.note('you belong to no org');
    context.printer.raw(
      renderTable(
        ['ID', 'NAME', 'ROLE', 'CREATED'],
        orgs.map((entry) => [entry.id, entry.name, entry.role ?? '', formatSeconds(entry.created_at)]),
      ),
    );
  });

  withJSONOption(
    withOrgOptions(
      org
        .command('create')
        .description('create an org; you become its owner')
        .requiredOption('--name <name>', 'what people see, e.g. "Acme Corp"')
        .option('--id <id>', 'the org id, a slug (default: made from the name)', parseOrgId),
    ),
  ).action(async (options: IdentityOptions & { name: string; id?: string }) => {
    const { client, session } = await connectIdentity(context, options);
    const created = await client.call(
      {
        method: 'POST',
        path: '/api/auth/orgs',
        bearer: session.token,
        json: { name: options.name, ...(options.id === undefined ? {} : { id: options.id }) },
      },
      Org,
    );
    if (options.json) return context.printer.json(created);
    context.printer.out(`created org ${created.id} (${created.name}); you are its ${created.role}`);
  });

  withJSONOption(
    withOrgOptions(
      org
        .command('show')
        .description('an org you belong to, with your role')
        .requiredOption('--id <id>', 'the org id', parseOrgId),
    ),
  ).action(async (options: IdentityOptions & { id: string }) => {
    const { client, session } = await connectIdentity(context, options);
    const shown = await client.call(
      {
        method: 'GET',
        path: `/api/auth/orgs/${segment(options.id)}`,
        bearer: session.token,
      },
      OrgView,
    );
    if (options.json) return context.printer.json(shown);
    context.printer.out(
      [
        `id:       ${shown.id}`,
        `name:     ${shown.name}`,
        `role:     ${shown.role ?? '(none)'}`,
        `created:  ${formatSeconds(shown.created_at)}`,
      ].join('\n'),
    );
  });

  withJSONOption(
    withOrgOptions(
      org
        .command('delete')
        .description('delete an org with its memberships and invites (owners only)')
        .requiredOption('--id <id>', 'the org id', parseOrgId),
    ),
  ).action(async (options: IdentityOptions & { id: string }) => {
    const { client, session } = await connectIdentity(context, options);
    const deleted = await client.call(
      {
        method: 'DELETE',
        path: `/api/auth/orgs/${segment(options.id)}`,
        bearer: session.token,
      },
      DeleteOrgResponse,
    );
    if (options.json) return context.printer.json(deleted);
    context.printer.note(`deleted org ${deleted.id}`);
  });
}
