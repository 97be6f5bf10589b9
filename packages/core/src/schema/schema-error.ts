/**
 * Codes a schema can fail with. `invalid_schema` and `namespace_violation` are the wire codes of
 * the RBAC surface (400 and 422); `invalid_app_id` is the wire code for a malformed app id; `tampered`
 * is the CLI's "unprepared or tampered" case (exit 10) — the server may fold it into
 * `invalid_schema`, since a hash that does not match is just a bad body to it.
 */
export const SCHEMA_ERROR_CODES = [
  'invalid_schema',
  'namespace_violation',
  'tampered',
  'invalid_app_id',
] as const;

export type SchemaErrorCode = (typeof SCHEMA_ERROR_CODES)[number];

/** Enough problems to fix in one go without turning a CLI error line into a wall of text. */
const MAX_ISSUES_IN_MESSAGE = 10;

/**
 * Thrown by every schema function for bad input. `issues` holds every problem found, so an author
 * fixes a source file in one pass instead of one error per run; the message repeats the first few.
 */
export class SchemaError extends Error {
  override readonly name = 'SchemaError';
  readonly issues: readonly string[];

  constructor(
    readonly code: SchemaErrorCode,
    summary: string,
    issues: readonly string[] = [],
  ) {
    super(formatMessage(summary, issues));
    this.issues = Object.freeze([...issues]);
  }
}

function formatMessage(summary: string, issues: readonly string[]): string {
  if (issues.length === 0) return summary;
  const shown = issues.slice(0, MAX_ISSUES_IN_MESSAGE).join('; ');
  const hidden = issues.length - MAX_ISSUES_IN_MESSAGE;
  return hidden > 0 ? `${summary}: ${shown}; and ${hidden} more` : `${summary}: ${shown}`;
}
