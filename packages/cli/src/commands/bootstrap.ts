import { BootstrapResponse } from '@pylon/core';
import type { Command } from 'commander';
import { type CommandContext, withJSONOption, withOrgOptions } from './context.js';
import type { IdentityOptions } from './identity-admin.js';

/**
 * `pylon bootstrap`: the one-time self-grant of `pylon-admin` to the deployment's
 * PYLON_BOOTSTRAP_ADMIN_EMAIL, in its default org (`POST <api_url>/bootstrap`).
 */
export function registerBootstrapCommand(program: Command, context: CommandContext): void {
  withJSONOption(
    withOrgOptions(
      program
        .command('bootstrap')
        .description(
          "make yourself the first admin: grants pylon-admin once, to the deployment's bootstrap email",
        ),
    ),
  ).action(async (options: IdentityOptions) => {
    const { org, client, session } = await context.connect(options);
    const answer = await client.call(
      {
        method: 'POST',
        path: '/bootstrap',
        bearer: session.token,
      },
      BootstrapResponse,
    );
    if (options.json) return context.printer.json(answer);
    context.printer.out(`granted ${answer.archetype} to ${answer.email} in ${org.id}`);
  });
}
