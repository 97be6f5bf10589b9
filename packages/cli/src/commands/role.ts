import { GrantList, GrantRoleResponse, hashEmail, isValidEmail, RevokeRoleResponse } from '@pylon/core';
import type { Command } from 'commander';
import { CLIError } from '../cli-error.js';
import { EXIT } from '../exit-codes.js';
import { formatTime } from '../output/format.js';
import { renderTable } from '../output/table.js';
import { type CommandContext, withJSONOption, withOrgOptions } from './context.js';

interface OrgOptions {
  org?: string;
  orgUrl?: string;
  json?: boolean;
}

/** The built-in app: its archetypes are bare (`pylon-admin`), its capabilities `pylon:…`. */
const PYLON_APP = 'pylon';

/**
 * A name as the server stores it. People type bare names (`--archetype admin`); schemas are
 * namespaced `<app>:<name>` (pylon-cli's form), so a bare name is prefixed. The built-in `pylon` app's
 * archetypes are the exception: they are bare on the wire.
 */
export function qualifyArchetype(app: string, name: string): string {
  if (name.includes(':') || app === PYLON_APP) return name;
  return `${app}:${name}`;
}

export function qualifyCapability(app: string, name: string): string {
  return name.includes(':') ? name : `${app}:${name}`;
}

/** `--capability a --capability b` and `--capability a,b` alike. */
const collect = (value: string, previous: string[] = []): string[] => [
  ...previous,
  ...value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== ''),
];

export function registerRoleCommands(program: Command, context: CommandContext): void {
  const role = program.command('role').description("grant, list and revoke people's archetypes in an app");

  withJSONOption(
    withOrgOptions(
      role
        .command('grant')
        .description('grant an email an archetype in an app (replaces an earlier grant)')
        .requiredOption('--email <email>', 'who')
        .requiredOption('--app <app>', 'the app id')
        .requiredOption('--archetype <name>', 'an archetype of the app’s current schema (bare or <app>:name)')
        .option(
          '--capability <name>',
          'an extra capability on top of the archetype (repeatable, or comma-separated)',
          collect,
        ),
    ),
  ).action(
    async (
      options: OrgOptions & { email: string; app: string; archetype: string; capability?: string[] },
    ) => {
      if (!isValidEmail(options.email))
        throw new CLIError(EXIT.usage, `--email ${options.email} is not an email address`);
      const { client, session } = await context.connect(options);
      const capabilities = options.capability?.map((name) => qualifyCapability(options.app, name));
      const answer = await client.call(
        {
          method: 'POST',
          path: '/roles',
          bearer: session.token,
          json: {
            email: options.email,
            app_id: options.app,
            archetype: qualifyArchetype(options.app, options.archetype),
            ...(capabilities === undefined ? {} : { capabilities }),
          },
        },
        GrantRoleResponse,
      );
      if (options.json) return context.printer.json(answer);
      context.printer.note(
        `granted ${answer.archetype} in ${answer.app_id} to ${options.email.trim().toLowerCase()}`,
      );
    },
  );

  withJSONOption(
    withOrgOptions(
      role
        .command('list')
        .description('list the grants of an app')
        .requiredOption('--app <app>', 'the app id'),
    ),
  ).action(async (options: OrgOptions & { app: string }) => {
    const { client, session } = await context.connect(options);
    const answer = await client.call(
      {
        method: 'GET',
        path: '/roles',
        query: { app_id: options.app },
        bearer: session.token,
      },
      GrantList,
    );
    if (options.json) return context.printer.json(answer);
    if (answer.roles.length === 0) return context.printer.note(`no grants in ${options.app}`);
    context.printer.raw(
      renderTable(
        ['EMAIL', 'ARCHETYPE', 'EXTRA CAPABILITIES', 'GRANTED', 'BY'],
        answer.roles.map((grant) => [
          grant.email ?? `sha256:${grant.email_hash.slice(0, 16)}…`,
          grant.archetype,
          (grant.capabilities ?? []).join(', '),
          formatTime(grant.granted_at),
          grant.granted_by,
        ]),
      ),
    );
  });

  withJSONOption(
    withOrgOptions(
      role
        .command('revoke')
        .description('revoke a grant, by email or by the email hash `role list --json` shows')
        .requiredOption('--app <app>', 'the app id')
        .option('--email <email>', 'whose grant')
        .option('--email-hash <sha256>', 'sha256 of the lowercased, trimmed email'),
    ),
  ).action(async (options: OrgOptions & { app: string; email?: string; emailHash?: string }) => {
    const emailHash = grantKey(options);
    const { client, session } = await context.connect(options);
    const answer = await client.call(
      {
        method: 'DELETE',
        path: `/roles/${encodeURIComponent(options.app)}/${emailHash}`,
        bearer: session.token,
      },
      RevokeRoleResponse,
    );
    if (options.json) return context.printer.json(answer);
    context.printer.note(`revoked the grant of ${options.email ?? emailHash} in ${answer.app_id}`);
  });
}

/** Exactly one of --email and --email-hash (exit 2 otherwise). */
function grantKey(options: { email?: string; emailHash?: string }): string {
  if ((options.email === undefined) === (options.emailHash === undefined)) {
    throw new CLIError(EXIT.usage, 'role revoke needs exactly one of --email and --email-hash');
  }
  if (options.email !== undefined) return hashEmail(options.email);
  const hash = options.emailHash!.toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hash)) throw new CLIError(EXIT.usage, '--email-hash must be 64 hex characters');
  return hash;
}
