import {
  CreateOAuthClientResponse,
  DeleteOAuthClientResponse,
  isPlainDisplayName,
  OAuthClientList,
  OAuthConsentList,
  PLAIN_DISPLAY_NAME_MESSAGE,
  RevokeOAuthConsentResponse,
} from '@pylon/core';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { formatTime } from '../output/format.js';
import { renderTable } from '../output/table.js';
import { type CommandContext, withJSONOption, withOrgOptions } from './context.js';

interface OrgOptions {
  org?: string;
  orgUrl?: string;
  json?: boolean;
}

/** `--redirect-uri` may repeat; each must be an absolute URL (Pylon checks the rest, RFC 8252). */
function collectRedirectURIs(value: string, previous: string[] = []): string[] {
  try {
    new URL(value);
  } catch {
    throw new InvalidArgumentError('a redirect URI is an absolute URL, e.g. http://127.0.0.1:8976/callback');
  }
  return [...previous, value];
}

/** `--name` is shown on the consent page: plain text only, as Pylon checks it too. */
function checkClientName(value: string): string {
  if (!isPlainDisplayName(value))
    throw new InvalidArgumentError(`a client name ${PLAIN_DISPLAY_NAME_MESSAGE}`);
  return value;
}

/**
 * `pylon oauth …`: Pylon as an OAuth authorization server (docs/MCP.md). `client` manages the
 * org's pre-registered OAuth clients (owners and admins); `consents` lists and revokes the
 * signed-in person's own consents, which also ends the refresh tokens issued under them.
 */
export function registerOAuthCommands(program: Command, context: CommandContext): void {
  const oauth = program
    .command('oauth')
    .description('OAuth clients of the org (MCP clients, apps signing in with Pylon) and your consents');
  const client = oauth.command('client').description("the org's pre-registered OAuth clients");

  withJSONOption(withOrgOptions(client.command('list').description("list the org's OAuth clients"))).action(
    async (options: OrgOptions) => {
      const { client: http, session } = await context.connect(options);
      const answer = await http.call(
        { method: 'GET', path: '/oauth/clients', bearer: session.token },
        OAuthClientList,
      );
      if (options.json) return context.printer.json(answer);
      if (answer.clients.length === 0) return context.printer.note('no OAuth clients registered');
      context.printer.raw(
        renderTable(
          ['CLIENT ID', 'NAME', 'TYPE', 'REGISTERED', 'CREATED', 'REDIRECT URIS'],
          answer.clients.map((entry) => [
            entry.client_id,
            entry.client_name,
            entry.confidential ? 'confidential' : 'public',
            entry.registered_by,
            formatTime(entry.created_at),
            entry.redirect_uris.join(' '),
          ]),
        ),
      );
    },
  );

  withJSONOption(
    withOrgOptions(
      client
        .command('create')
        .description('register an OAuth client; a confidential one gets a secret, shown only once')
        .requiredOption('--name <name>', 'the name people see on the consent page', checkClientName)
        .requiredOption(
          '--redirect-uri <uri>',
          'where Pylon sends the code back (repeat for several)',
          collectRedirectURIs,
        )
        .option(
          '--confidential',
          'a server-side client that authenticates with a secret (default: public, PKCE only)',
        )
        .addOption(
          new Option('--id-token-alg <alg>', 'how its OIDC id_tokens are signed').choices(['RS256', 'EdDSA']),
        ),
    ),
  ).action(
    async (
      options: OrgOptions & {
        name: string;
        redirectUri: string[];
        confidential?: boolean;
        idTokenAlg?: string;
      },
    ) => {
      const { client: http, session } = await context.connect(options);
      const answer = await http.call(
        {
          method: 'POST',
          path: '/oauth/clients',
          bearer: session.token,
          json: {
            client_name: options.name,
            redirect_uris: options.redirectUri,
            confidential: options.confidential === true,
            ...(options.idTokenAlg === undefined ? {} : { id_token_signed_response_alg: options.idTokenAlg }),
          },
        },
        CreateOAuthClientResponse,
      );
      if (options.json) return context.printer.json(answer);
      if (answer.client_secret === undefined) {
        context.printer.note(
          `registered public OAuth client ${answer.client_name} (PKCE, no secret); client id:`,
        );
        return context.printer.out(answer.client_id);
      }
      // The id and the secret, one a line, on stdout (so a script can read both); the rest on stderr.
      context.printer.note(
        `registered confidential OAuth client ${answer.client_name}; client id, then its secret (shown once; keep it in the client's secret store):`,
      );
      context.printer.out(`${answer.client_id}\n${answer.client_secret}`);
    },
  );

  withJSONOption(
    withOrgOptions(
      client
        .command('delete')
        .description('delete an OAuth client: its tokens stop refreshing, its consents go')
        .requiredOption('--id <client_id>', 'the client id'),
    ),
  ).action(async (options: OrgOptions & { id: string }) => {
    const { client: http, session } = await context.connect(options);
    const answer = await http.call(
      { method: 'DELETE', path: `/oauth/clients/${encodeURIComponent(options.id)}`, bearer: session.token },
      DeleteOAuthClientResponse,
    );
    if (options.json) return context.printer.json(answer);
    context.printer.note(`deleted OAuth client ${answer.client_id}`);
  });

  const consents = oauth
    .command('consents')
    .description('the OAuth clients you let act for you (list; revoke <id>)');

  withJSONOption(
    withOrgOptions(
      consents.command('list', { isDefault: true }).description('list your consents (the default)'),
    ),
  ).action(async (options: OrgOptions) => {
    const { client: http, session } = await context.connect(options);
    const answer = await http.call(
      { method: 'GET', path: '/oauth/consents', bearer: session.token },
      OAuthConsentList,
    );
    if (options.json) return context.printer.json(answer);
    if (answer.consents.length === 0) return context.printer.note('you have given no OAuth client consent');
    context.printer.raw(
      renderTable(
        ['ID', 'CLIENT', 'RESOURCE', 'SCOPE', 'GIVEN', 'CLIENT ID'],
        answer.consents.map((entry) => [
          entry.id,
          entry.client_name,
          entry.resource,
          entry.scope,
          formatTime(entry.created_at),
          entry.client_id,
        ]),
      ),
    );
  });

  withJSONOption(
    withOrgOptions(
      consents
        .command('revoke')
        .description('revoke one of your consents and the refresh tokens issued under it')
        .argument('<id>', 'the consent id, from `pylon oauth consents`'),
    ),
  ).action(async (id: string, options: OrgOptions) => {
    const { client: http, session } = await context.connect(options);
    const answer = await http.call(
      { method: 'DELETE', path: `/oauth/consents/${encodeURIComponent(id)}`, bearer: session.token },
      RevokeOAuthConsentResponse,
    );
    if (options.json) return context.printer.json(answer);
    context.printer.note(`revoked consent ${answer.id}`);
  });
}
