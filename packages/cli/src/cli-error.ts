import type { ExitCode } from './exit-codes.js';

/**
 * Every failure a command reports on purpose: the exit code scripts branch on and the one-line
 * message printed as `error: <message>`. Anything else that escapes a command exits 1.
 */
export class CLIError extends Error {
  override readonly name = 'CLIError';

  constructor(
    readonly exitCode: ExitCode,
    message: string,
    /** A second line that tells the person what to do next. */
    readonly hint?: string,
  ) {
    super(message);
  }
}
