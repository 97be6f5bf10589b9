import { readFile, writeFile } from 'node:fs/promises';
import {
  ApproveMigrationResponse,
  SchemaDiffResponse,
  SchemaPushResponse,
  WithdrawPendingResponse,
} from '@pylon/core';
import { type Command, InvalidArgumentError } from 'commander';
import { CLIError } from '../cli-error.js';
import { EXIT } from '../exit-codes.js';
import { formatTime } from '../output/format.js';
import { renderTable } from '../output/table.js';
import { checkAgainstDeployed } from '../schema/deployed-drift.js';
import { formatChanges } from '../schema/format-diff.js';
import { checkPreparedFile, prepareSource, verifyPreparedFile } from '../schema/schema-files.js';
import { type CommandContext, withJSONOption, withOrgOptions } from './context.js';

interface OrgOptions {
  org?: string;
  orgUrl?: string;
  json?: boolean;
}

const APP_TOKEN_HEADER = 'X-Pylon-App-Token';

function parseVersion(value: string): number {
  const version = Number(value);
  if (!Number.isInteger(version) || version < 1) throw new InvalidArgumentError('a version number (1, 2, …)');
  return version;
}

export function registerSchemaCommands(program: Command, context: CommandContext): void {
  const schema = program
    .command('schema')
    .description("prepare, push, review and approve an app's capability schema");

  withOrgOptions(
    schema
      .command('prepare')
      .description('validate a bare schema source and write its prepared form (offline, deterministic)')
      .requiredOption('--source <file>', 'the bare schema (YAML or JSON)')
      .requiredOption('--app <app>', 'the app id: every name is prefixed with <app>:')
      .option('--out <file>', 'write here instead of standard output')
      .option(
        '--check',
        'do not write: exit 12 when --out is not what the source prepares to, or, without --out, when the deployed schema differs (needs a session)',
      ),
  ).action((options: PrepareOptions) => prepare(context, options));

  withJSONOption(
    withOrgOptions(
      schema
        .command('push')
        .description('push a prepared schema with the app token; destructive changes wait for approval')
        .requiredOption('--app <app>', 'the app id')
        .requiredOption('--file <file>', 'the prepared schema')
        .option(
          '--app-token <token>',
          'the app token, or - to read it from standard input (else PYLON_APP_TOKEN)',
        ),
    ),
  ).action((options: PushOptions) => push(context, options));

  withJSONOption(
    withOrgOptions(
      schema
        .command('diff')
        .description('what a push would change, without storing anything')
        .requiredOption('--app <app>', 'the app id')
        .requiredOption('--file <file>', 'the prepared schema')
        .option('--app-token <token>', 'use the app token (or - for standard input) instead of the session'),
    ),
  ).action((options: PushOptions) => diff(context, options));

  withJSONOption(
    withOrgOptions(
      schema
        .command('current')
        .description('the schema version that serves tokens now')
        .requiredOption('--app <app>', 'the app id'),
    ),
  ).action((options: OrgOptions & { app: string }) => current(context, options));

  withJSONOption(
    withOrgOptions(
      schema
        .command('list')
        .description("an app's schema versions, with the current and the pending one")
        .requiredOption('--app <app>', 'the app id'),
    ),
  ).action((options: OrgOptions & { app: string }) => list(context, options));

  withJSONOption(
    withOrgOptions(
      schema
        .command('approve')
        .description('approve the pending (destructive) version: it becomes current')
        .requiredOption('--app <app>', 'the app id')
        .requiredOption('--version <n>', 'the pending version', parseVersion),
    ),
  ).action((options: OrgOptions & { app: string; version: number }) => approve(context, options));

  withJSONOption(
    withOrgOptions(
      schema
        .command('withdraw')
        .description('withdraw the pending version: it never becomes current, and pushes are taken again')
        .requiredOption('--app <app>', 'the app id')
        .option('--app-token <token>', 'use the app token (or - for standard input) instead of the session'),
    ),
  ).action((options: OrgOptions & { app: string; appToken?: string }) => withdraw(context, options));
}

interface PrepareOptions extends OrgOptions {
  source: string;
  app: string;
  out?: string;
  check?: boolean;
}

async function prepare(context: CommandContext, options: PrepareOptions): Promise<void> {
  const source = await readInput(options.source, '--source');
  if (options.check && options.out === undefined) return checkDeployed(context, options, source);
  if (options.check) {
    const existing = await readOptional(options.out!);
    const result = checkPreparedFile(existing, source, options.app, context.version);
    if (!result.upToDate) {
      throw new CLIError(
        EXIT.schemaDrift,
        `${options.out} is out of date: ${result.reason}`,
        `run: pylon schema prepare --source ${options.source} --app ${options.app} --out ${options.out}`,
      );
    }
    context.printer.note(`${options.out} is up to date`);
    return;
  }
  const prepared = prepareSource(source, options.app, context.version);
  if (options.out === undefined) {
    context.printer.raw(prepared);
    return;
  }
  await writeFile(options.out, prepared);
  context.printer.note(`wrote ${options.out}`);
}

/**
 * `schema prepare --check` without `--out`, as pylon-cli 0.3.1 does it: the source prepared here
 * against the schema deployed for the app, fetched with the session as `schema current` does.
 * Silent with exit 0 when their bodies match; else the line diff on stdout and exit 12.
 */
async function checkDeployed(
  context: CommandContext,
  options: PrepareOptions,
  source: Uint8Array,
): Promise<void> {
  const prepared = prepareSource(source, options.app, context.version);
  const { client, session } = await context.connect(options);
  const deployed = await client.call<{ version?: unknown }>({
    method: 'GET',
    path: `/apps/${encodeURIComponent(options.app)}/schema/current`,
    bearer: session.token,
  });
  const result = checkAgainstDeployed(prepared, deployed);
  if (!result.drift) return;
  context.printer.out(result.diff);
  throw new CLIError(
    EXIT.schemaDrift,
    `the prepared schema for ${options.app} differs from the deployed one (current version ${String(deployed.version)})`,
    `push it: pylon schema prepare --source ${options.source} --app ${options.app} --out <file>, then pylon schema push`,
  );
}

interface PushOptions extends OrgOptions {
  app: string;
  file: string;
  appToken?: string;
}

async function push(context: CommandContext, options: PushOptions): Promise<void> {
  const token = await appToken(context, options.appToken);
  if (token === undefined) {
    throw new CLIError(
      EXIT.usage,
      'no app token: pass --app-token <token> (or - to read stdin) or set PYLON_APP_TOKEN',
    );
  }
  const text = await readText(options.file);
  verifyPreparedFile(text, options.app);
  const org = await context.resolveOrg(options);
  const answer = await context.client(org).call(
    {
      method: 'POST',
      path: `/apps/${encodeURIComponent(options.app)}/schema`,
      headers: { [APP_TOKEN_HEADER]: token },
      rawJSON: text,
    },
    SchemaPushResponse,
  );
  if (options.json) return context.printer.json(answer);
  if (answer.status === 'pending_approval') {
    context.printer.out(
      [
        `pending approval: version ${answer.version} waits for an admin; version ${answer.current_version ?? '-'} keeps serving`,
        `${answer.diff?.kind ?? 'destructive'} changes:`,
        ...formatChanges(answer.diff?.changes),
        `approve with: pylon schema approve --app ${options.app} --version ${answer.version}`,
      ].join('\n'),
    );
    return;
  }
  context.printer.out(`accepted: version ${answer.version} is current`);
}

async function diff(context: CommandContext, options: PushOptions): Promise<void> {
  const text = await readText(options.file);
  verifyPreparedFile(text, options.app);
  const token = await appToken(context, options.appToken);
  const org = await context.resolveOrg(options);
  const auth =
    token !== undefined
      ? { headers: { [APP_TOKEN_HEADER]: token } }
      : { bearer: (await context.requireSession(org)).token };
  const answer = await context.client(org).call(
    {
      method: 'POST',
      path: `/apps/${encodeURIComponent(options.app)}/schema/diff`,
      rawJSON: text,
      ...auth,
    },
    SchemaDiffResponse,
  );
  if (options.json) return context.printer.json(answer);
  const would = answer.would === 'pending_approval' ? 'wait for approval' : 'be accepted';
  context.printer.out(
    [
      `a push would ${would} (current version: ${answer.current_version ?? 'none'}; ${answer.diff.kind})`,
      ...formatChanges(answer.diff.changes),
    ].join('\n'),
  );
}

interface SchemaVersionAnswer {
  version: number;
  version_tag: string;
  pushed_by: string;
  pushed_at: number;
  capabilities?: { name: string; description?: string }[];
  archetypes?: { name: string; capabilities: string[]; inherits?: string[]; description?: string }[];
}

async function current(context: CommandContext, options: OrgOptions & { app: string }): Promise<void> {
  const { client, session } = await context.connect(options);
  const answer = await client.call<SchemaVersionAnswer>({
    method: 'GET',
    path: `/apps/${encodeURIComponent(options.app)}/schema/current`,
    bearer: session.token,
  });
  if (options.json) return context.printer.json(answer);
  context.printer.out(
    `${options.app}: version ${answer.version} (${answer.version_tag}), pushed by ${answer.pushed_by} at ${formatTime(answer.pushed_at)}\n`,
  );
  context.printer.raw(
    renderTable(
      ['CAPABILITY', 'DESCRIPTION'],
      (answer.capabilities ?? []).map((capability) => [capability.name, capability.description ?? '']),
    ),
  );
  context.printer.raw('\n');
  context.printer.raw(
    renderTable(
      ['ARCHETYPE', 'CAPABILITIES', 'INHERITS', 'DESCRIPTION'],
      (answer.archetypes ?? []).map((archetype) => [
        archetype.name,
        archetype.capabilities.join(', '),
        (archetype.inherits ?? []).join(', '),
        archetype.description ?? '',
      ]),
    ),
  );
}

async function list(context: CommandContext, options: OrgOptions & { app: string }): Promise<void> {
  const { client, session } = await context.connect(options);
  const answer = await client.call<{
    versions: SchemaVersionAnswer[];
    current_version: number | null;
    pending_version: number | null;
  }>({ method: 'GET', path: `/apps/${encodeURIComponent(options.app)}/schema`, bearer: session.token });
  if (options.json) return context.printer.json(answer);
  if (answer.versions.length === 0) return context.printer.note(`no schema pushed for ${options.app}`);
  const state = (version: number) =>
    version === answer.current_version ? 'current' : version === answer.pending_version ? 'pending' : '';
  context.printer.raw(
    renderTable(
      ['VERSION', 'TAG', 'STATE', 'PUSHED BY', 'PUSHED AT'],
      answer.versions.map((version) => [
        String(version.version),
        version.version_tag,
        state(version.version),
        version.pushed_by,
        formatTime(version.pushed_at),
      ]),
    ),
  );
}

async function approve(
  context: CommandContext,
  options: OrgOptions & { app: string; version: number },
): Promise<void> {
  const { client, session } = await context.connect(options);
  const answer = await client.call(
    {
      method: 'POST',
      path: `/apps/${encodeURIComponent(options.app)}/schema/approve-migration`,
      bearer: session.token,
      json: { version: options.version },
    },
    ApproveMigrationResponse,
  );
  if (options.json) return context.printer.json(answer);
  context.printer.out(
    `approved: version ${answer.version} of ${options.app} is current; ${answer.roles_migrated} grant${answer.roles_migrated === 1 ? '' : 's'} of removed archetypes revoked`,
  );
}

async function withdraw(
  context: CommandContext,
  options: OrgOptions & { app: string; appToken?: string },
): Promise<void> {
  const token = await appToken(context, options.appToken);
  const org = await context.resolveOrg(options);
  const auth =
    token !== undefined
      ? { headers: { [APP_TOKEN_HEADER]: token } }
      : { bearer: (await context.requireSession(org)).token };
  const answer = await context.client(org).call(
    {
      method: 'DELETE',
      path: `/apps/${encodeURIComponent(options.app)}/schema/pending`,
      ...auth,
    },
    WithdrawPendingResponse,
  );
  if (options.json) return context.printer.json(answer);
  context.printer.out(
    `withdrawn: version ${answer.version} of ${options.app} will not become current; version ${answer.current_version ?? '-'} keeps serving`,
  );
}

/** `--app-token`, `-` for standard input (keeps it out of `ps` and shell history), else PYLON_APP_TOKEN. */
async function appToken(context: CommandContext, flag: string | undefined): Promise<string | undefined> {
  if (flag === '-') {
    const token = (await context.environment.stdin.readAll()).trim();
    if (token === '') throw new CLIError(EXIT.usage, '--app-token -: standard input was empty');
    return token;
  }
  const token = flag ?? context.environment.env['PYLON_APP_TOKEN'];
  return token === undefined || token.trim() === '' ? undefined : token.trim();
}

async function readInput(path: string, flag: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new CLIError(
      EXIT.usage,
      `${flag} ${path}: ${(error as NodeJS.ErrnoException).code ?? 'cannot read'}`,
    );
  }
}

async function readText(path: string): Promise<string> {
  return new TextDecoder().decode(await readInput(path, '--file'));
}

async function readOptional(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CLIError(EXIT.generic, `cannot read ${path}: ${(error as Error).message}`);
  }
}
