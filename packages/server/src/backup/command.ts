import { resolveSecret } from '../boot.js';
import type { Config } from '../config/config.js';
import type { Logger } from '../logger.js';
import { BackupError, backupDatabase, restoreDatabase } from './backup.js';

export const BACKUP_USAGE = `       pylon-server backup <file>   copy the SQLite database to <file>, safely while serving
       pylon-server restore <file>  restore <file> into the (absent) PYLON_DATABASE_URL database`;

/** Whether argv names `backup` or `restore` (both take one file). */
export function isBackupCommand(argv: readonly string[]): boolean {
  return argv[0] === 'backup' || argv[0] === 'restore';
}

/** Run `backup <file>` or `restore <file>`; the exit code (2: usage, 1: refused or failed). */
export async function runBackupCommand(
  argv: readonly string[],
  loaded: Config,
  logger: Logger,
): Promise<number> {
  const [verb, file, ...rest] = argv;
  if (file === undefined || file.startsWith('-') || rest.length > 0) {
    process.stderr.write(`usage:\n${BACKUP_USAGE}\n`);
    return 2;
  }
  try {
    if (verb === 'backup') await backupDatabase(loaded, file, logger);
    else await restoreDatabase(resolveSecret(loaded, logger), file, logger);
    return 0;
  } catch (error) {
    if (!(error instanceof BackupError)) throw error;
    process.stderr.write(`pylon-server: ${error.message}\n`);
    return 1;
  }
}
