import pg from 'pg';

/**
 * Decides once, before any test file runs, whether the PostgreSQL suite runs. Under CI=true an
 * unreachable PostgreSQL fails the run; on a laptop without one the suite is skipped, loudly.
 */
export default async function setup({
  provide,
}: {
  provide: (key: string, value: unknown) => void;
}): Promise<void> {
  const url = process.env.PYLON_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    provide('postgresURL', url);
  } catch (error) {
    if (process.env.CI === 'true') {
      throw new Error(`CI=true and PostgreSQL is unreachable at ${url}: ${(error as Error).message}`);
    }
    process.stderr.write(
      `\n[pylon] PostgreSQL unreachable at ${url} — SKIPPING the PostgreSQL suite (SQLite still runs). ` +
        'Set PYLON_TEST_POSTGRES_URL or start PostgreSQL to run it.\n\n',
    );
    provide('postgresURL', null);
  } finally {
    await client.end().catch(() => {});
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    postgresURL: string | null;
  }
}
