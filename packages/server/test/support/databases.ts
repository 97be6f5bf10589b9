import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import type { DatabaseConfig } from '../../src/config/config.js';
import { migrateToLatest, openStorage, type Storage } from '../../src/storage/database.js';

export interface TestDatabase {
  kind: 'sqlite' | 'postgres';
  /** A fresh, empty database of this kind (its own file or its own PostgreSQL database). */
  create(): Promise<ScratchDatabase>;
}

export interface ScratchDatabase {
  config: DatabaseConfig;
  /** Open a connection to this database (several may be open at once, like several processes). */
  open(): Storage;
  /** Open and migrate. */
  openMigrated(): Promise<Storage>;
  drop(): Promise<void>;
}

async function migrated(storage: Storage): Promise<Storage> {
  const { error } = await migrateToLatest(storage);
  if (error) throw error;
  return storage;
}

const sqlite: TestDatabase = {
  kind: 'sqlite',
  async create() {
    const dir = mkdtempSync(join(tmpdir(), 'pylon-test-'));
    const path = join(dir, 'pylon.db');
    const config: DatabaseConfig = { kind: 'sqlite', path, url: `sqlite:${path}` };
    return {
      config,
      open: () => openStorage(config),
      openMigrated: () => migrated(openStorage(config)),
      async drop() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

function postgres(adminURL: string): TestDatabase {
  return {
    kind: 'postgres',
    async create() {
      const name = `pylon_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
      const admin = new pg.Client({ connectionString: adminURL });
      await admin.connect();
      await admin.query(`create database ${name}`);
      await admin.end();
      const url = new URL(adminURL);
      url.pathname = `/${name}`;
      const config: DatabaseConfig = { kind: 'postgres', url: url.toString() };
      return {
        config,
        open: () => openStorage(config),
        openMigrated: () => migrated(openStorage(config)),
        async drop() {
          const client = new pg.Client({ connectionString: adminURL });
          await client.connect();
          await client.query(`drop database if exists ${name} with (force)`);
          await client.end();
        },
      };
    },
  };
}

const postgresURL = inject('postgresURL');

/** Every real database the suite runs against: SQLite always, PostgreSQL when reachable. */
export const testDatabases: TestDatabase[] = postgresURL ? [sqlite, postgres(postgresURL)] : [sqlite];
export const postgresAvailable = postgresURL !== null;
