import { chmodSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openStorage } from '../../src/storage/database.js';

const mode = (path: string) => statSync(path).mode & 0o777;

describe('a new SQLite database', () => {
  it('is created for its owner only, with its WAL, under a permissive umask, in a directory made 0700', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pylon-mode-'));
    const path = join(root, 'made', 'for', 'pylon.db');
    const previous = process.umask(0o022);
    try {
      const storage = openStorage({ kind: 'sqlite', path, url: `sqlite:${path}` });
      await sql`create table t (v integer)`.execute(storage.db);
      await sql`insert into t values (1)`.execute(storage.db);
      expect(mode(path)).toBe(0o600);
      expect(mode(`${path}-wal`)).toBe(0o600);
      expect(mode(join(root, 'made', 'for'))).toBe(0o700);
      await storage.close();
    } finally {
      process.umask(previous);
    }
  });

  it('leaves an existing file’s mode as its operator set it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pylon-mode-'));
    const path = join(root, 'pylon.db');
    writeFileSync(path, '');
    chmodSync(path, 0o640);
    const storage = openStorage({ kind: 'sqlite', path, url: `sqlite:${path}` });
    await sql`select 1`.execute(storage.db);
    await storage.close();
    expect(mode(path)).toBe(0o640);
  });
});
