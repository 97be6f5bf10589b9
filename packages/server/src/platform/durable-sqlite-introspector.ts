/**
 * Kysely's SQLite introspector (kysely 0.28, `dialect/sqlite/sqlite-introspector.js`) for a
 * Durable Object's SQLite, which also holds the runtime's own tables: their names begin with
 * `_cf_` (`_cf_METADATA` once an alarm has been set), and any read of them, their columns
 * included, is refused with SQLITE_AUTH
 * (https://developers.cloudflare.com/durable-objects/api/sqlite-storage-api/). Kysely's
 * introspector reads every table's columns in one query, and its migrator asks it whether the
 * migration table exists at every start, so an object whose alarm had ever been set could not
 * boot again. This one passes those tables over and is otherwise Kysely's, query for query.
 */
import {
  type DatabaseIntrospector,
  type DatabaseMetadata,
  type DatabaseMetadataOptions,
  DEFAULT_MIGRATION_LOCK_TABLE,
  DEFAULT_MIGRATION_TABLE,
  type Kysely,
  type QueryCreator,
  type SchemaMetadata,
  sql,
  type TableMetadata,
} from 'kysely';

/** The prefix of the tables the Workers runtime keeps for itself in an object's SQLite. */
export const RUNTIME_TABLE_PREFIX = '_cf_';

interface MasterRow {
  name: string;
  sql: string | null;
  type: string;
}

/** A row of `pragma_table_info(table)` (https://www.sqlite.org/pragma.html#pragma_table_info). */
interface PragmaColumn {
  cid: number;
  name: string;
  type: string;
  notnull: number;
  dflt_value: unknown;
  pk: number;
}

type ColumnRow = PragmaColumn & { table: string };

/** What the introspection reads: SQLite's catalogue, outside Pylon's schema. */
interface Catalogue {
  sqlite_master: MasterRow;
}

export class DurableSqliteIntrospector implements DatabaseIntrospector {
  private readonly db: Kysely<Catalogue>;

  constructor(db: Kysely<unknown>) {
    this.db = db as Kysely<Catalogue>;
  }

  async getSchemas(): Promise<SchemaMetadata[]> {
    // SQLite has no schemas.
    return [];
  }

  async getTables(
    options: DatabaseMetadataOptions = { withInternalKyselyTables: false },
  ): Promise<TableMetadata[]> {
    const tables = await this.tablesQuery(this.db, options).execute();
    const columnRows: ColumnRow[] = await this.db
      .with('table_list', (qb) => this.tablesQuery(qb, options))
      .selectFrom(['table_list as tl', sql<PragmaColumn>`pragma_table_info(tl.name)`.as('p')])
      .select(['tl.name as table', 'p.cid', 'p.name', 'p.type', 'p.notnull', 'p.dflt_value', 'p.pk'])
      .orderBy('tl.name')
      .orderBy('p.cid')
      .execute();
    const columnsByTable = new Map<string, ColumnRow[]>();
    for (const row of columnRows) {
      const columns = columnsByTable.get(row.table) ?? [];
      columns.push(row);
      columnsByTable.set(row.table, columns);
    }
    return tables.map((table) => tableMetadata(table, columnsByTable.get(table.name) ?? []));
  }

  /** @deprecated as in Kysely: use getTables(). */
  async getMetadata(options?: DatabaseMetadataOptions): Promise<DatabaseMetadata> {
    return { tables: await this.getTables(options) };
  }

  private tablesQuery(qb: QueryCreator<Catalogue>, options: DatabaseMetadataOptions) {
    let query = qb
      .selectFrom('sqlite_master')
      .where('type', 'in', ['table', 'view'])
      .where('name', 'not like', 'sqlite_%')
      // Compared as a prefix, not with LIKE, where `_` would match any character.
      .where(sql`lower(substr(name, 1, ${RUNTIME_TABLE_PREFIX.length}))`, '!=', RUNTIME_TABLE_PREFIX)
      .select(['name', 'sql', 'type'])
      .orderBy('name');
    if (!options.withInternalKyselyTables) {
      query = query
        .where('name', '!=', DEFAULT_MIGRATION_TABLE)
        .where('name', '!=', DEFAULT_MIGRATION_LOCK_TABLE);
    }
    return query;
  }
}

function tableMetadata({ name, sql: definition, type }: MasterRow, columns: ColumnRow[]): TableMetadata {
  // As Kysely does: the column declared AUTOINCREMENT, else a lone INTEGER PRIMARY KEY
  // (https://www.sqlite.org/autoinc.html).
  let autoIncrementing = definition
    ?.split(/[(),]/)
    .find((part) => part.toLowerCase().includes('autoincrement'))
    ?.trimStart()
    .split(/\s+/)[0]
    ?.replace(/["`]/g, '');
  if (!autoIncrementing) {
    const keys = columns.filter((column) => column.pk > 0);
    if (keys.length === 1 && keys[0]!.type.toLowerCase() === 'integer') autoIncrementing = keys[0]!.name;
  }
  return {
    name,
    isView: type === 'view',
    columns: columns.map((column) => ({
      name: column.name,
      dataType: column.type,
      isNullable: !column.notnull,
      isAutoIncrementing: column.name === autoIncrementing,
      hasDefaultValue: column.dflt_value != null,
      comment: undefined,
    })),
  };
}
