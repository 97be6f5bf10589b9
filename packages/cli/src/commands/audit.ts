import { writeFile } from 'node:fs/promises';
import { AuditPage as AuditPageSchema, AuditVerifyReport } from '@pylon/core';
import { type Command, InvalidArgumentError } from 'commander';
import { type AuditEntry, type AuditPage, AuditPosition } from '../audit/audit-position.js';
import { parseSince } from '../audit/since.js';
import { CLIError } from '../cli-error.js';
import { EXIT } from '../exit-codes.js';
import { formatCell, formatTime } from '../output/format.js';
import { renderTable } from '../output/table.js';
import { stripControlCharacters } from '../text.js';
import { type CommandContext, withJSONOption, withOrgOptions } from './context.js';
import { connectIdentity } from './identity-admin.js';

interface TailOptions {
  org?: string;
  orgUrl?: string;
  json?: boolean;
  limit?: number;
  since?: string;
  action?: string;
  cursor?: string;
  follow?: boolean;
  interval: number;
}

const DEFAULT_FOLLOW_INTERVAL_SECONDS = 2;

function parseLimit(value: string): number {
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new InvalidArgumentError('a whole number from 1 to 1000');
  }
  return limit;
}

function parseInterval(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0.1 || seconds > 3600) {
    throw new InvalidArgumentError('seconds between 0.1 and 3600');
  }
  return seconds;
}

export function registerAuditCommands(program: Command, context: CommandContext): void {
  const audit = program.command('audit').description("read the org's audit log");
  withJSONOption(
    withOrgOptions(
      audit
        .command('tail')
        .description('print audit entries, oldest first; --follow keeps printing new ones until Ctrl-C')
        .option('--limit <n>', 'entries per page, 1–1000 (server default 100)', parseLimit)
        .option(
          '--since <when>',
          'from this time: ms since the epoch, ISO-8601, or back from now (15m, 2h, 7d)',
        )
        .option('--action <action>', 'only this action, e.g. role.granted')
        .option('--cursor <cursor>', 'go on after the cursor a previous page ended with')
        .option('--follow', 'keep polling for new entries until interrupted')
        .option(
          '--interval <seconds>',
          'seconds between polls with --follow',
          parseInterval,
          DEFAULT_FOLLOW_INTERVAL_SECONDS,
        ),
    ),
  ).action((options: TailOptions) => tail(context, options));
  withJSONOption(
    withOrgOptions(
      audit
        .command('verify')
        .description("check the org's audit hash chain and signed checkpoints; exits 13 at a broken link")
        .option('--deployment', "the deployment's own chain (sign-ins, sign-ups) instead: deployment admins")
        .option(
          '--from <seq>',
          'start at this place in the chain (default: the first kept entry)',
          parseFrom,
        ),
    ),
  ).action((options: VerifyOptions) => verify(context, options));
  withOrgOptions(
    audit
      .command('export')
      .description("write the org's audit entries as JSON Lines, oldest first")
      .option('--deployment', "the deployment's own entries (sign-ins, sign-ups) instead: deployment admins")
      .option(
        '--since <when>',
        'from this time: ms since the epoch, ISO-8601, or back from now (15m, 2h, 7d)',
      )
      .option('--output <file>', 'write to this file (created; refused if it exists) instead of stdout'),
  ).action((options: ExportOptions) => exportEntries(context, options));
}

interface VerifyOptions {
  org?: string;
  orgUrl?: string;
  json?: boolean;
  from?: number;
  deployment?: boolean;
}

interface ExportOptions {
  org?: string;
  orgUrl?: string;
  since?: string;
  output?: string;
  deployment?: boolean;
}

/**
 * The org's audit (`/audit…` on the RBAC surface), or with `--deployment` the deployment's own
 * (`/api/auth/audit/deployment…`, deployment admins): the same entries and reports.
 */
async function auditSurface(context: CommandContext, options: VerifyOptions | ExportOptions) {
  if (!options.deployment) {
    const { client, session } = await context.connect(options);
    return { client, session, base: '/audit' };
  }
  const { client, session } = await connectIdentity(context, options);
  return { client, session, base: '/api/auth/audit/deployment' };
}

function parseFrom(value: string): number {
  const from = Number(value);
  if (!Number.isSafeInteger(from) || from < 1)
    throw new InvalidArgumentError('a place in the chain, 1 or more');
  return from;
}

async function verify(context: CommandContext, options: VerifyOptions): Promise<void> {
  const { printer } = context;
  const { client, session, base } = await auditSurface(context, options);
  const report = await client.call(
    {
      method: 'GET',
      path: `${base}/verify`,
      bearer: session.token,
      query: { from: options.from?.toString() },
    },
    AuditVerifyReport,
  );
  // The server starts past the head when asked to (nothing to walk): a place the chain has not
  // reached is a mistaken argument, not a verified chain.
  if (options.from !== undefined && options.from > report.head.seq + 1)
    throw new CLIError(
      EXIT.usage,
      `--from ${options.from} is past the end of the chain: its last entry is ${report.head.seq}`,
    );
  if (options.json) printer.json(report);
  else if (report.ok) {
    printer.raw(
      `ok: ${report.checked} entries from ${report.from} to ${report.head.seq}, ${report.checkpoints} signed checkpoints` +
        (report.pruned_through > 0 ? ` (entries up to ${report.pruned_through} pruned)` : '') +
        '\n',
    );
  } else {
    const broken = report.first_broken!;
    printer.raw(
      stripControlCharacters(
        `broken at ${broken.seq ?? '(no place)'}${broken.id === null ? '' : ` (entry id ${broken.id})`}: ${broken.reason}` +
          (report.outside_chain === undefined
            ? ''
            : `, ${report.outside_chain} ${report.outside_chain === 1 ? 'entry' : 'entries'} outside the chain`),
      ) + '\n',
    );
  }
  if (!report.ok) throw new CLIError(EXIT.auditChainBroken, 'the audit chain is broken');
}

/** Every entry from `since` (default: the first), page by page, one JSON object per line. */
async function exportEntries(context: CommandContext, options: ExportOptions): Promise<void> {
  const { environment, printer } = context;
  let since = 0;
  if (options.since !== undefined) {
    const parsed = parseSince(options.since, environment.now());
    if (parsed === undefined) {
      throw new CLIError(EXIT.usage, `--since ${options.since}: expected ms, an ISO-8601 time or 15m/2h/7d`);
    }
    since = parsed;
  }
  const { client, session, base } = await auditSurface(context, options);
  const lines: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.call(
      {
        method: 'GET',
        path: base,
        bearer: session.token,
        query: cursor === undefined ? { since: since.toString(), limit: '1000' } : { cursor, limit: '1000' },
      },
      AuditPageSchema,
    );
    for (const entry of page.entries) {
      if (options.output === undefined) printer.jsonLine(entry);
      else lines.push(JSON.stringify(entry));
    }
    cursor = page.next_cursor;
  } while (cursor !== undefined);
  if (options.output !== undefined) {
    await writeFile(options.output, lines.map((line) => `${line}\n`).join(''), { flag: 'wx', mode: 0o600 });
    printer.note(`${lines.length} entries written to ${options.output}`);
  }
}

async function tail(context: CommandContext, options: TailOptions): Promise<void> {
  const { environment, printer } = context;
  let since: number | undefined;
  if (options.since !== undefined) {
    since = parseSince(options.since, environment.now());
    if (since === undefined) {
      throw new CLIError(EXIT.usage, `--since ${options.since}: expected ms, an ISO-8601 time or 15m/2h/7d`);
    }
  }
  const { client, session } = await context.connect(options);
  const fetchPage = (position: { since?: number; cursor?: string }): Promise<AuditPage> =>
    client.call(
      {
        method: 'GET',
        path: '/audit',
        bearer: session.token,
        query: {
          since: position.since?.toString(),
          cursor: position.cursor,
          limit: options.limit?.toString(),
          action: options.action,
        },
      },
      AuditPageSchema,
    );

  if (!options.follow) {
    const page = await fetchPage({ since, ...(options.cursor ? { cursor: options.cursor } : {}) });
    if (options.json) return printer.json(page);
    if (page.entries.length === 0) printer.note('no audit entries');
    else printer.raw(renderEntries(page.entries));
    if (page.next_cursor) printer.note(`more entries: pylon audit tail --cursor ${page.next_cursor}`);
    return;
  }
  await follow(context, fetchPage, new AuditPosition({ since, cursor: options.cursor }), options);
}

/** Pages until caught up, then polls every `interval` seconds until Ctrl-C (which exits 0). */
async function follow(
  context: CommandContext,
  fetchPage: (position: { since?: number; cursor?: string }) => Promise<AuditPage>,
  position: AuditPosition,
  options: TailOptions,
): Promise<void> {
  const { environment, printer } = context;
  const signal = environment.interrupt;
  while (!signal.aborted) {
    let page: AuditPage;
    try {
      page = await fetchPage(position.query());
    } catch (error) {
      if (signal.aborted) return;
      throw error;
    }
    for (const entry of position.advance(page)) {
      if (options.json) printer.jsonLine(entry);
      else printer.raw(`${entryLine(entry)}\n`);
    }
    if (!position.hasMore) await environment.sleep(options.interval * 1000, signal);
  }
}

function renderEntries(entries: readonly AuditEntry[]): string {
  return renderTable(
    ['TIME', 'ACTION', 'ACTOR', 'TARGET', 'DETAIL'],
    entries.map((entry) => [
      formatTime(entry.ts),
      entry.action,
      entry.actor,
      entry.target ?? '',
      detailCell(entry),
    ]),
  );
}

function entryLine(entry: AuditEntry): string {
  const parts = [formatTime(entry.ts), entry.action, entry.actor];
  if (entry.target) parts.push(`→ ${entry.target}`);
  const detail = detailCell(entry);
  if (detail) parts.push(detail);
  return stripControlCharacters(parts.join('  '));
}

/** The detail, or the stored text of one that does not decode, marked so it is not read as Pylon's. */
function detailCell(entry: AuditEntry): string {
  if (entry.detail) return formatCell(entry.detail);
  const raw = entry.undecodable?.detail;
  return raw === undefined ? '' : `(undecodable) ${raw}`;
}
