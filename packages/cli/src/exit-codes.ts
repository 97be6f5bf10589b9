/**
 * The `pylon` exit codes, as pylon-cli defines them (docs/CLI.md "Errors and exit codes"). Scripts
 * branch on these, so a number never changes meaning.
 */
export const EXIT = {
  ok: 0,
  generic: 1,
  /** No org could be resolved, or the arguments are wrong. */
  usage: 2,
  /** `/discover` failed, or the server supplied a URL of another origin. */
  discovery: 3,
  /** Device authorisation expired or was denied. */
  deviceExpired: 4,
  /** The OS keyring (or the session file that stands in for it) failed. */
  keyring: 5,
  /** Pylon answered with a non-2xx status. */
  server: 6,
  /** No session is stored for the org. */
  noSession: 7,
  /** The cached org does not match what discovery says. */
  orgMismatch: 8,
  /** The schema file is not prepared, or was edited after `schema prepare`. */
  unpreparedSchema: 10,
  /** The schema source is invalid. */
  invalidSchemaSource: 11,
  /** `schema prepare --check` found drift: the `--out` file out of date, or the deployed schema another. */
  schemaDrift: 12,
  /** `audit verify` found a broken link in the org's audit hash chain. */
  auditChainBroken: 13,
  /** Interrupted (Ctrl-C) while waiting; 128 + SIGINT, as shells report it. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
