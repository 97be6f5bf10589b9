import type { Command } from 'commander';
import { CLIError } from '../cli-error.js';
import { findOrg, removeOrg, setDefaultOrg, upsertOrg } from '../config/config.js';
import { EXIT } from '../exit-codes.js';
import { isOrgId } from '../org/org-id.js';
import { type CommandContext, withOrgOptions } from './context.js';

interface UseOptions {
  org?: string;
  orgUrl?: string;
}

export function registerOrgCommands(program: Command, context: CommandContext): void {
  withOrgOptions(
    program
      .command('use')
      .description('make an org the default for later commands (default_org in the config)'),
  ).action((options: UseOptions) => use(context, options));

  program
    .command('forget')
    .description(
      'remove an org from the config and delete its stored session (after it moved or was replaced)',
    )
    .requiredOption('--org <id>', 'org id or alias')
    .action((options: { org: string }) => forget(context, options.org));
}

async function use(context: CommandContext, options: UseOptions): Promise<void> {
  if (!options.org && !options.orgUrl)
    throw new CLIError(EXIT.usage, 'use needs --org <id> or --org-url <url>');
  const config = await context.loadConfig();
  const org = await context.resolveOrg(options, config);
  const next = setDefaultOrg(upsertOrg(config, { id: org.id, api_url: org.api_url }), org.id);
  await context.saveConfig(next);
  context.printer.note(`default org is now ${org.id} (${org.api_url})`);
}

async function forget(context: CommandContext, name: string): Promise<void> {
  const config = await context.loadConfig();
  const entry = findOrg(config, name);
  const id = entry?.id ?? name;
  const removedSession = isOrgId(id) ? await context.vault.remove(id) : [];
  if (!entry && removedSession.length === 0) {
    throw new CLIError(EXIT.usage, `unknown org \`${name}\`: not in the config and no session stored`);
  }
  if (entry) await context.saveConfig(removeOrg(config, entry.id));
  const parts = [
    entry ? 'removed from the config' : 'was not in the config',
    removedSession.length > 0 ? `session deleted (${removedSession.join(', ')})` : 'no session was stored',
  ];
  context.printer.note(`forgot ${id}: ${parts.join('; ')}`);
}
