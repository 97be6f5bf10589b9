import {
  AppList,
  DisableAppResponse,
  isValidEmail,
  RegisterAppResponse,
  RotateAppTokenResponse,
} from '@pylon/core';
import { type Command, InvalidArgumentError } from 'commander';
import { formatTime } from '../output/format.js';
import { renderTable } from '../output/table.js';
import { type CommandContext, withJSONOption, withOrgOptions } from './context.js';

interface OrgOptions {
  org?: string;
  orgUrl?: string;
  json?: boolean;
}

/** The owner is a person to reach about the app, so an email (exit 2 otherwise). */
function parseOwner(value: string): string {
  if (!isValidEmail(value)) {
    throw new InvalidArgumentError('the owner must be an email address, e.g. --owner ada@example.com');
  }
  return value;
}

/** An absolute URL (Pylon checks the rest: https, or http on loopback in development). */
function parseResource(value: string): string {
  try {
    new URL(value);
  } catch {
    throw new InvalidArgumentError(
      "the resource is the MCP server's URL, e.g. https://notes.example.com/mcp",
    );
  }
  return value;
}

export function registerAppCommands(program: Command, context: CommandContext): void {
  const app = program.command('app').description('register and manage the apps of an org');

  withJSONOption(
    withOrgOptions(
      app
        .command('register')
        .description('register an app; prints its app token, which is shown only once')
        .requiredOption('--name <id>', 'the app id: a slug such as notes-mcp')
        .requiredOption('--owner <email>', 'who owns the app: an email address', parseOwner)
        .option('--description <text>', 'what the app is')
        .option(
          '--resource <url>',
          'the URL of the MCP server this app is (OAuth tokens for it)',
          parseResource,
        ),
    ),
  ).action(
    async (
      options: OrgOptions & { name: string; owner: string; description?: string; resource?: string },
    ) => {
      const { client, session } = await context.connect(options);
      const answer = await client.call(
        {
          method: 'POST',
          path: '/apps',
          bearer: session.token,
          json: {
            name: options.name,
            owner: options.owner,
            ...(options.description === undefined ? {} : { description: options.description }),
            ...(options.resource === undefined ? {} : { resource: options.resource }),
          },
        },
        RegisterAppResponse,
      );
      printToken(context, options, answer, `registered app ${answer.app_id}`);
    },
  );

  withJSONOption(withOrgOptions(app.command('list').description("list the org's apps"))).action(
    async (options: OrgOptions) => {
      const { client, session } = await context.connect(options);
      const answer = await client.call(
        {
          method: 'GET',
          path: '/apps',
          bearer: session.token,
        },
        AppList,
      );
      if (options.json) return context.printer.json(answer);
      if (answer.apps.length === 0) return context.printer.note('no apps registered');
      context.printer.raw(
        renderTable(
          ['APP', 'OWNER', 'STATUS', 'CREATED', 'DESCRIPTION'],
          answer.apps.map((entry) => [
            entry.app_id,
            entry.owner,
            entry.status,
            formatTime(entry.created_at),
            entry.description ?? '',
          ]),
        ),
      );
    },
  );

  withJSONOption(
    withOrgOptions(
      app
        .command('disable')
        .description('disable an app: no more scoped tokens are minted for it')
        .requiredOption('--id <app>', 'the app id'),
    ),
  ).action(async (options: OrgOptions & { id: string }) => {
    const { client, session } = await context.connect(options);
    const answer = await client.call(
      {
        method: 'DELETE',
        path: `/apps/${encodeURIComponent(options.id)}`,
        bearer: session.token,
      },
      DisableAppResponse,
    );
    if (options.json) return context.printer.json(answer);
    context.printer.note(`app ${answer.app_id} is ${answer.status}`);
  });

  withJSONOption(
    withOrgOptions(
      app
        .command('rotate-token')
        .description('issue a new app token; the old one stops working at once')
        .requiredOption('--id <app>', 'the app id'),
    ),
  ).action(async (options: OrgOptions & { id: string }) => {
    const { client, session } = await context.connect(options);
    const answer = await client.call(
      {
        method: 'POST',
        path: `/apps/${encodeURIComponent(options.id)}/token/rotate`,
        bearer: session.token,
      },
      RotateAppTokenResponse,
    );
    printToken(
      context,
      options,
      answer,
      `rotated the token of ${answer.app_id}; the old token no longer works`,
    );
  });
}

/**
 * The token alone goes to stdout (so `pylon app register … > token` captures just it); the
 * explanation goes to stderr.
 */
function printToken(
  context: CommandContext,
  options: { json?: boolean },
  answer: { app_id: string; app_token: string },
  headline: string,
): void {
  if (options.json) {
    context.printer.json(answer);
    return;
  }
  context.printer.note(
    `${headline}\napp token (shown once; keep it in the app's secret store, e.g. as PYLON_APP_TOKEN):`,
  );
  context.printer.out(answer.app_token);
}
