import { readFile } from 'node:fs/promises';
import { RemoveSSOResponse, SSOConnectionSummary, SSODiscoverResponse } from '@pylon/core';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { CLIError } from '../cli-error.js';
import { EXIT } from '../exit-codes.js';
import { errorCode, serverError } from '../net/http-client.js';
import { type CommandContext, withJSONOption, withOrgOptions } from './context.js';
import {
  connectIdentity,
  type IdentityOptions,
  parseEmail,
  segment,
  withOrgIdOption,
} from './identity-admin.js';

type SSOOptions = IdentityOptions & { orgId: string };
type Kind = 'oidc' | 'saml';

/** The connection's path under the org: OIDC at `/sso`, SAML at `/saml`. */
const pathOf = (orgId: string, kind: Kind) =>
  `/api/auth/orgs/${segment(orgId)}/${kind === 'oidc' ? 'sso' : 'saml'}`;

/** `--domain` may repeat and take comma-separated lists. */
function collectDomains(value: string, previous: string[] = []): string[] {
  const domains = value
    .split(',')
    .map((domain) => domain.trim())
    .filter((domain) => domain !== '');
  if (domains.length === 0) throw new InvalidArgumentError('a domain, e.g. acme.com');
  return [...previous, ...domains];
}

const defaultRoleOption = () =>
  new Option('--default-role <role>', 'the role a first SSO sign-in joins with').choices(['member', 'admin']);

/** Print a connection as `key: value` lines, in the server's order. */
function describe(connection: Record<string, unknown>): string {
  const width = Math.max(...Object.keys(connection).map((key) => key.length)) + 2;
  return Object.entries(connection)
    .map(([key, value]) => {
      const shown = Array.isArray(value) ? value.join(', ') : value === null ? '(none)' : String(value);
      return `${`${key}:`.padEnd(width)}${shown.includes('\n') ? `\n${shown}` : shown}`;
    })
    .join('\n');
}

/** `pylon sso …`: an org's own identity providers (`/api/auth/orgs/:id/sso`, `/saml`) and discovery. */
export function registerSSOCommands(program: Command, context: CommandContext): void {
  const sso = program
    .command('sso')
    .description("an org's own identity provider (OIDC or SAML): show, set, remove; discover by email");
  const command = (name: string, description: string) =>
    withJSONOption(withOrgOptions(withOrgIdOption(sso.command(name).description(description))));

  command('show', "the org's SSO connections, without secrets (any member may read)").action(
    async (options: SSOOptions) => {
      const { client, session } = await connectIdentity(context, options);
      const read = async (kind: Kind) => {
        const request = { method: 'GET' as const, path: pathOf(options.orgId, kind), bearer: session.token };
        const response = await client.send(request);
        if (response.status === 404 && errorCode(response.body) === 'SSO_NOT_CONFIGURED') return null;
        if (response.status < 200 || response.status > 299) throw serverError(request, response);
        const parsed = SSOConnectionSummary.safeParse(response.body);
        if (!parsed.success) {
          throw new CLIError(EXIT.generic, `Pylon answered GET ${request.path} with an unexpected body`);
        }
        return parsed.data;
      };
      const shown = { oidc: await read('oidc'), saml: await read('saml') };
      if (options.json) return context.printer.json(shown);
      if (shown.oidc === null && shown.saml === null) {
        return context.printer.note(`org ${options.orgId} has no SSO connection`);
      }
      context.printer.out(
        [shown.oidc, shown.saml]
          .filter((connection) => connection !== null)
          .map((connection) => describe(connection))
          .join('\n\n'),
      );
    },
  );

  command(
    'set-oidc',
    "configure the org's OIDC identity provider (owners); the client secret is read from stdin",
  )
    .requiredOption('--issuer-url <url>', "the IdP's issuer, e.g. https://acme.okta.com")
    .requiredOption('--client-id <id>', "Pylon's client id at the IdP")
    .option('--domain <domain>', 'an email domain the org claims (repeat, or comma-separate)', collectDomains)
    .addOption(defaultRoleOption())
    .action(
      async (
        options: SSOOptions & {
          issuerUrl: string;
          clientId: string;
          domain?: string[];
          defaultRole?: string;
        },
      ) => {
        // A secret on the command line would stay in the shell's history and the process list.
        const clientSecret = (await context.environment.stdin.readAll()).trim();
        if (clientSecret === '') {
          throw new CLIError(
            EXIT.usage,
            'no client secret: pipe it on stdin, e.g. `pylon sso set-oidc … < secret.txt`',
          );
        }
        const { client, session } = await connectIdentity(context, options);
        const saved = await client.call(
          {
            method: 'PUT',
            path: pathOf(options.orgId, 'oidc'),
            bearer: session.token,
            json: {
              issuer_url: options.issuerUrl,
              client_id: options.clientId,
              client_secret: clientSecret,
              ...(options.domain === undefined ? {} : { email_domains: options.domain }),
              ...(options.defaultRole === undefined ? {} : { default_role: options.defaultRole }),
            },
          },
          SSOConnectionSummary,
        );
        if (options.json) return context.printer.json(saved);
        context.printer.out(describe(saved));
      },
    );

  command('set-saml', "configure the org's SAML 2.0 identity provider (owners)")
    .requiredOption('--entity-id <id>', "the IdP's entity id")
    .requiredOption('--sso-url <url>', "the IdP's SSO URL (HTTP-Redirect binding), https")
    .requiredOption('--cert-file <path>', "the IdP's signing certificate, PEM")
    .option('--domain <domain>', 'an email domain the org claims (repeat, or comma-separate)', collectDomains)
    .option('--email-attribute <name>', 'the attribute holding the email (default: the NameID)')
    .option('--name-attribute <name>', 'the attribute holding the display name')
    .addOption(defaultRoleOption())
    .action(
      async (
        options: SSOOptions & {
          entityId: string;
          ssoUrl: string;
          certFile: string;
          domain?: string[];
          emailAttribute?: string;
          nameAttribute?: string;
          defaultRole?: string;
        },
      ) => {
        let certificate: string;
        try {
          certificate = await readFile(options.certFile, 'utf8');
        } catch {
          throw new CLIError(EXIT.usage, `cannot read --cert-file ${options.certFile}`);
        }
        const { client, session } = await connectIdentity(context, options);
        const saved = await client.call(
          {
            method: 'PUT',
            path: pathOf(options.orgId, 'saml'),
            bearer: session.token,
            json: {
              idp_entity_id: options.entityId,
              idp_sso_url: options.ssoUrl,
              idp_x509_cert_pem: certificate,
              ...(options.domain === undefined ? {} : { email_domains: options.domain }),
              ...(options.defaultRole === undefined ? {} : { default_role: options.defaultRole }),
              ...(options.emailAttribute === undefined ? {} : { email_attribute: options.emailAttribute }),
              ...(options.nameAttribute === undefined ? {} : { name_attribute: options.nameAttribute }),
            },
          },
          SSOConnectionSummary,
        );
        if (options.json) return context.printer.json(saved);
        context.printer.out(describe(saved));
      },
    );

  command('remove', "remove one of the org's SSO connections (owners)")
    .addOption(
      new Option('--kind <kind>', 'which connection').choices(['oidc', 'saml']).makeOptionMandatory(),
    )
    .action(async (options: SSOOptions & { kind: Kind }) => {
      const { client, session } = await connectIdentity(context, options);
      const removed = await client.call(
        { method: 'DELETE', path: pathOf(options.orgId, options.kind), bearer: session.token },
        RemoveSSOResponse,
      );
      if (options.json) return context.printer.json(removed);
      context.printer.note(`removed the ${removed.kind} connection of org ${removed.org_id}`);
    });

  withJSONOption(
    withOrgOptions(
      sso
        .command('discover')
        .description("which org's IdP signs in an email address (by its domain only; no session needed)")
        .requiredOption('--email <email>', 'the address, e.g. alice@acme.com', parseEmail),
    ),
  ).action(async (options: IdentityOptions & { email: string }) => {
    const org = await context.resolveOrg(options);
    const found = await context
      .identityClient(org)
      .call(
        { method: 'GET', path: '/api/auth/sso/discover', query: { email: options.email } },
        SSODiscoverResponse,
      );
    if (options.json) return context.printer.json(found);
    context.printer.out(
      `${found.kind} sign-in for org ${found.org_id}: ${new URL(found.start_url, context.identityClient(org).baseURL).toString()}`,
    );
  });
}
