import { Command, CommanderError } from 'commander';
import { CLIError } from './cli-error.js';
import { registerAppCommands } from './commands/app.js';
import { registerAuditCommands } from './commands/audit.js';
import { registerBootstrapCommand } from './commands/bootstrap.js';
import { CommandContext } from './commands/context.js';
import { registerInviteCommands } from './commands/invite.js';
import { registerLogin } from './commands/login.js';
import { registerMemberCommands } from './commands/member.js';
import { registerOAuthCommands } from './commands/oauth.js';
import { registerOrgAdminCommands } from './commands/org-admin.js';
import { registerOrgCommands } from './commands/orgs.js';
import { registerRoleCommands } from './commands/role.js';
import { registerSchemaCommands } from './commands/schema.js';
import { registerSessionCommands } from './commands/session.js';
import { registerSSOCommands } from './commands/sso.js';
import { registerUserCommands } from './commands/user.js';
import type { CLIEnvironment } from './environment.js';
import { EXIT } from './exit-codes.js';
import { sanitizeText } from './text.js';

/** The whole `pylon` command tree, bound to one environment (a fresh one per run: no globals). */
export function buildProgram(environment: CLIEnvironment): Command {
  const context = new CommandContext(environment);
  const program = new Command('pylon')
    .description(
      'Pylon from the command line: log in, manage apps and roles, push schemas, read the audit log',
    )
    .version(context.version, '-V, --version')
    .exitOverride()
    // Program options only before the command: `schema approve --version 3` is the schema
    // version, not `pylon --version`.
    .enablePositionalOptions()
    .configureOutput({
      writeOut: (text) => environment.stdout.write(text),
      writeErr: (text) => environment.stderr.write(text),
      outputError: (text, write) => write(text),
    })
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      '\nExit codes: 0 ok · 1 error · 2 no org / bad arguments · 3 discovery failed · 4 device login expired\n' +
        '· 5 keyring · 6 Pylon answered non-2xx · 7 no session · 8 cached org does not match discovery\n' +
        '· 10 unprepared or tampered schema file · 11 invalid schema source · 12 --check found drift\n' +
        '· 13 audit chain broken · 130 interrupted while waiting for a login\n' +
        'Docs: docs/CLI.md',
    );
  registerLogin(program, context);
  registerSessionCommands(program, context);
  registerOrgCommands(program, context);
  registerAppCommands(program, context);
  registerRoleCommands(program, context);
  registerAuditCommands(program, context);
  registerSchemaCommands(program, context);
  registerBootstrapCommand(program, context);
  registerOrgAdminCommands(program, context);
  registerMemberCommands(program, context);
  registerInviteCommands(program, context);
  registerUserCommands(program, context);
  registerSSOCommands(program, context);
  registerOAuthCommands(program, context);
  return program;
}

/**
 * Runs `pylon` with `argv` (without the node and script paths) and returns the exit code. The one
 * error boundary: a CLIError prints `error: <message>` with its code, commander's own usage errors
 * exit 2, anything unexpected exits 1.
 */
export async function runCLI(argv: readonly string[], environment: CLIEnvironment): Promise<number> {
  const program = buildProgram(environment);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    return reportError(error, environment);
  }
}

function reportError(error: unknown, environment: CLIEnvironment): number {
  if (error instanceof CommanderError) {
    // Commander has printed its message (or the help) already.
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (error instanceof CLIError) {
    environment.stderr.write(`error: ${sanitizeText(error.message, 1024)}\n`);
    if (error.hint) environment.stderr.write(`hint: ${sanitizeText(error.hint, 1024)}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  environment.stderr.write(`error: ${sanitizeText(message)}\n`);
  return EXIT.generic;
}
