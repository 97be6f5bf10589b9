import { UserPage } from '@pylon/core';
import { type Command, InvalidArgumentError } from 'commander';
import { renderTable } from '../output/table.js';
import { type CommandContext, withJSONOption, withOrgOptions } from './context.js';
import { connectIdentity, formatSeconds, type IdentityOptions } from './identity-admin.js';

interface UserListOptions extends IdentityOptions {
  query?: string;
  limit?: number;
  cursor?: string;
}

/** The server's bounds for `GET /api/auth/users?limit=`. */
const MAX_LIMIT = 200;

function parseLimit(value: string): number {
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new InvalidArgumentError(`a whole number from 1 to ${MAX_LIMIT}`);
  }
  return limit;
}

/** `pylon user list`: the deployment's users, for deployment admins (`GET /api/auth/users`). */
export function registerUserCommands(program: Command, context: CommandContext): void {
  const user = program.command('user').description("the deployment's users (deployment admins)");

  withJSONOption(
    withOrgOptions(
      user
        .command('list')
        .description('list and search users, oldest first, a page at a time')
        .option('--query <text>', 'only users whose email contains this')
        .option('--limit <n>', `users per page, 1–${MAX_LIMIT} (server default 50)`, parseLimit)
        .option('--cursor <cursor>', 'the next page, as a previous page printed it'),
    ),
  ).action(async (options: UserListOptions) => {
    const { client, session } = await connectIdentity(context, options);
    const page = await client.call(
      {
        method: 'GET',
        path: '/api/auth/users',
        query: { q: options.query, limit: options.limit?.toString(), cursor: options.cursor },
        bearer: session.token,
      },
      UserPage,
    );
    if (options.json) return context.printer.json(page);
    if (page.users.length === 0) context.printer.note('no users');
    else {
      context.printer.raw(
        renderTable(
          ['USER', 'EMAIL', 'VERIFIED', 'NAME', 'CREATED', 'DISABLED'],
          page.users.map((entry) => [
            entry.user_id,
            entry.email ?? '',
            entry.email_verified ? 'yes' : 'no',
            entry.display_name ?? '',
            formatSeconds(entry.created_at),
            entry.disabled ? 'disabled' : '',
          ]),
        ),
      );
    }
    if (page.next_cursor !== undefined) {
      context.printer.note(`more users: pylon user list --cursor ${page.next_cursor}`);
    }
  });
}
