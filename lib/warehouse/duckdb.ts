/**
 * SQL over a local warehouse folder through an in-memory DuckDB. The views read the files in place, so a
 * query always sees what is on disk now.
 */
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type DuckDBConnection, DuckDBInstance, DuckDBTypeId } from '@duckdb/node-api';
import { UserError } from '../errors';

export class WarehouseQueryError extends UserError {}

export interface Warehouse {
  readonly root: string;
  readonly connection: DuckDBConnection;
  /** The views that exist, because their files do. */
  readonly tables: readonly string[];
  close(): void;
}

export interface QueryResult {
  columns: string[];
  rows: Record<string, unknown>[];
}

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

async function containsFile(directory: string, matches: (name: string) => boolean): Promise<boolean> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(directory, { withFileTypes: true });
  } catch {
    return false;
  }
  for (const entry of entries) {
    if (entry.isFile() && matches(entry.name)) return true;
    if (entry.isDirectory() && (await containsFile(join(directory, entry.name), matches))) return true;
  }
  return false;
}

const isParquet = (name: string) => name.endsWith('.parquet') && !name.startsWith('.');

/**
 * A view over a Hive-partitioned table. DuckDB's `hive_partitioning` would replace the `service` data
 * column with the value decoded from the `service=` folder (turning `''` into NULL), so partitions are
 * not read as columns; `dt` is parsed from the file path instead.
 */
function partitionedTableView(name: string, folder: string): string {
  const files = sqlString(`${folder}/**/*.parquet`);
  return `CREATE VIEW ${name} AS
    SELECT * EXCLUDE (filename),
           CAST(regexp_extract(filename, '/dt=([0-9]{4}-[0-9]{2}-[0-9]{2})/', 1) AS DATE) AS dt
    FROM read_parquet(${files}, hive_partitioning = false, union_by_name = true, filename = true)`;
}

/**
 * Opens an in-memory DuckDB with views `issues` (`<root>/issues/**\/*.parquet`, plus `dt`),
 * `issue_state_changes` (`<root>/issue_state_changes/**\/*.parquet`, plus `dt`) and `runs`
 * (`<root>/_runs/*.json`), each only when it has files. S3 warehouses are not supported here: DuckDB would
 * need its httpfs extension.
 */
export async function openWarehouse(rootDir: string): Promise<Warehouse> {
  const root = resolve(rootDir);
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const close = () => {
    connection.closeSync();
    instance.closeSync();
  };
  const tables: string[] = [];
  try {
    for (const table of ['issues', 'issue_state_changes']) {
      const folder = join(root, table);
      if (await containsFile(folder, isParquet)) {
        await connection.run(partitionedTableView(table, folder));
        tables.push(table);
      }
    }
    const runsFolder = join(root, '_runs');
    const hasRuns = await readdir(runsFolder).then(
      (names) => names.some((name) => name.endsWith('.json') && !name.startsWith('.')),
      () => false,
    );
    if (hasRuns) {
      await connection.run(
        `CREATE VIEW runs AS SELECT * FROM read_json(${sqlString(`${runsFolder}/*.json`)}, union_by_name = true)`,
      );
      tables.push('runs');
    }
  } catch (error) {
    close();
    throw error;
  }
  return { root, connection, tables, close };
}

function toPrintable(value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (Array.isArray(value)) return value.map(toPrintable);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, toPrintable(item)]));
  }
  return value;
}

const MISSING_TABLE_PATTERN = /Table with name (\S+) does not exist/;

async function describeMissingTable(connection: DuckDBConnection, table: string): Promise<string> {
  const views = (
    await connection.runAndReadAll(
      'SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY view_name',
    )
  )
    .getRowObjectsJS()
    .map((row) => String(row.view_name));
  const available = views.length === 0 ? 'none: the warehouse has no files yet' : views.join(', ');
  return `Table ${table} does not exist in this warehouse (no files for it yet); tables available: ${available}.`;
}

/**
 * Runs SQL and returns plain JSON-friendly rows: BIGINTs as numbers when they fit in a double exactly
 * (else decimal strings), timestamps as ISO 8601 strings in UTC, DATEs as `YYYY-MM-DD`.
 */
export async function runQuery(connection: DuckDBConnection, sql: string): Promise<QueryResult> {
  let reader: Awaited<ReturnType<DuckDBConnection['runAndReadAll']>>;
  try {
    reader = await connection.runAndReadAll(sql);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const missingTable = MISSING_TABLE_PATTERN.exec(message)?.[1];
    if (missingTable !== undefined) {
      throw new WarehouseQueryError(await describeMissingTable(connection, missingTable));
    }
    throw new WarehouseQueryError(`Query failed: ${message.split('\n')[0]}`);
  }
  const columns = reader.columnNames();
  const dateColumns = new Set(
    reader
      .columnTypes()
      .flatMap((type, index) => (type.typeId === DuckDBTypeId.DATE ? [columns[index]!] : [])),
  );
  const rows = reader.getRowObjectsJS().map((row) => {
    const printable: Record<string, unknown> = {};
    for (const column of columns) {
      const value = row[column];
      printable[column] =
        dateColumns.has(column) && value instanceof Date
          ? value.toISOString().slice(0, 10)
          : toPrintable(value);
    }
    return printable;
  });
  return { columns, rows };
}
