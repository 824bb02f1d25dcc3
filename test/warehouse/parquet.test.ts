import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  encodeParquet,
  encodeParquetStreaming,
  PARQUET_CREATED_BY,
  ParquetEncodingError,
} from '../../lib/warehouse/parquet';
import { type ColumnDefinition, ISSUE_COLUMNS, STATE_CHANGE_COLUMNS } from '../../lib/warehouse/schema';
import { issueRow, openDuckDB, queryRows, sqlString, temporaryDirectory } from './fixtures';

const ALL_TYPES: readonly ColumnDefinition[] = [
  { name: 'text', type: 'string', description: '' },
  { name: 'count', type: 'int64', description: '' },
  { name: 'flag', type: 'boolean', description: '' },
  { name: 'seen_at', type: 'timestamp', description: '' },
  { name: 'tags', type: 'string_list', description: '' },
  { name: 'attributes', type: 'json', description: '' },
];

const ALL_TYPES_ROWS: Record<string, unknown>[] = [
  {
    text: 'plain',
    count: 0,
    flag: true,
    seen_at: Date.UTC(2026, 0, 15, 13, 0, 0, 1),
    tags: ['a', null, 'c'],
    attributes: '{"a":1}',
  },
  {
    text: 'ünïcödé 漢字 🚀 "quotes" \n newline',
    count: Number.MAX_SAFE_INTEGER,
    flag: false,
    seen_at: 0,
    tags: [],
    attributes: { nested: [1, 'two'] },
  },
  { text: null, count: null, flag: null, seen_at: null, tags: null, attributes: null },
  {
    text: '',
    count: -Number.MAX_SAFE_INTEGER,
    flag: undefined,
    seen_at: -1,
    tags: [null],
    attributes: undefined,
  },
  {
    text: 'x',
    count: 4_294_967_296,
    flag: true,
    seen_at: Date.UTC(2099, 11, 31, 23, 59, 59, 999),
    tags: [''],
  },
];

describe('encodeParquet', () => {
  let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
  let duckdb: Awaited<ReturnType<typeof openDuckDB>>;
  let connection: DuckDBConnection;

  beforeAll(async () => {
    directory = await temporaryDirectory();
    duckdb = await openDuckDB();
    connection = duckdb.connection;
  });
  afterAll(async () => {
    duckdb.close();
    await directory.remove();
  });

  async function writeParquetFile(name: string, bytes: Uint8Array): Promise<string> {
    const path = join(directory.path, name);
    await writeFile(path, bytes);
    return sqlString(path);
  }

  it('writes every column type with the logical types DuckDB, Athena and BigQuery expect', async () => {
    const file = await writeParquetFile('types.parquet', encodeParquet(ALL_TYPES, ALL_TYPES_ROWS));
    const described = await queryRows(connection, `DESCRIBE SELECT * FROM read_parquet(${file})`);
    expect(described.map((row) => [row.column_name, row.column_type])).toEqual([
      ['text', 'VARCHAR'],
      ['count', 'BIGINT'],
      ['flag', 'BOOLEAN'],
      ['seen_at', 'TIMESTAMP WITH TIME ZONE'],
      ['tags', 'VARCHAR[]'],
      ['attributes', 'VARCHAR'],
    ]);

    const schema = await queryRows(
      connection,
      `SELECT name, type, repetition_type, converted_type, logical_type FROM parquet_schema(${file})`,
    );
    const byName = (name: string) => schema.filter((row) => row.name === name);
    expect(byName('count')[0]).toMatchObject({ type: 'INT64', logical_type: null });
    expect(byName('seen_at')[0]).toMatchObject({ type: 'INT64', converted_type: 'TIMESTAMP_MILLIS' });
    expect(String(byName('seen_at')[0]?.logical_type)).toContain('isAdjustedToUTC=1');
    expect(String(byName('seen_at')[0]?.logical_type)).toContain('MILLIS=MilliSeconds()');
    // Standard three-level list: optional group (LIST) > repeated group list > optional element.
    const tagsIndex = schema.findIndex((row) => row.name === 'tags');
    expect(schema.slice(tagsIndex, tagsIndex + 3)).toMatchObject([
      { name: 'tags', type: null, repetition_type: 'OPTIONAL', converted_type: 'LIST' },
      { name: 'list', type: null, repetition_type: 'REPEATED' },
      { name: 'element', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL', converted_type: 'UTF8' },
    ]);
  });

  it('round-trips values exactly, including nulls, null list items and extreme integers', async () => {
    const file = await writeParquetFile('values.parquet', encodeParquet(ALL_TYPES, ALL_TYPES_ROWS));
    const rows = await queryRows(
      connection,
      `SELECT text, count, flag, epoch_ms(seen_at) AS at_ms, tags, attributes FROM read_parquet(${file})`,
    );
    expect(rows).toEqual([
      {
        text: 'plain',
        count: 0n,
        flag: true,
        at_ms: 1768482000001n,
        tags: ['a', null, 'c'],
        attributes: '{"a":1}',
      },
      {
        text: 'ünïcödé 漢字 🚀 "quotes" \n newline',
        count: 9007199254740991n,
        flag: false,
        at_ms: 0n,
        tags: [],
        attributes: '{"nested":[1,"two"]}',
      },
      { text: null, count: null, flag: null, at_ms: null, tags: null, attributes: null },
      { text: '', count: -9007199254740991n, flag: null, at_ms: -1n, tags: [null], attributes: null },
      { text: 'x', count: 4294967296n, flag: true, at_ms: 4102444799999n, tags: [''], attributes: null },
    ]);
    const [timestamp] = await queryRows(
      connection,
      `SELECT strftime(seen_at AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%g') AS text FROM read_parquet(${file}) LIMIT 1`,
    );
    expect(timestamp?.text).toBe('2026-01-15T13:00:00.001');
  });

  it('writes the full issue contract, which DuckDB reads back column for column', async () => {
    const rows = [
      issueRow(),
      issueRow({
        issue_id: 'second',
        service: null,
        languages: null,
        is_crash: null,
        team_ids: ['t1', 't2'],
        team_handles: ['team-one', null],
        team_names: [null, null],
        raw_attributes: '{"custom":true}',
        total_count: 2 ** 40,
      }),
    ];
    const file = await writeParquetFile(
      'issues.parquet',
      encodeParquet(ISSUE_COLUMNS, rows as unknown as Record<string, unknown>[]),
    );
    const described = await queryRows(connection, `DESCRIBE SELECT * FROM read_parquet(${file})`);
    expect(described.map((row) => row.column_name)).toEqual(ISSUE_COLUMNS.map((column) => column.name));
    const expectedSqlType = {
      string: 'VARCHAR',
      json: 'VARCHAR',
      int64: 'BIGINT',
      boolean: 'BOOLEAN',
      timestamp: 'TIMESTAMP WITH TIME ZONE',
      string_list: 'VARCHAR[]',
    };
    expect(described.map((row) => row.column_type)).toEqual(
      ISSUE_COLUMNS.map((column) => expectedSqlType[column.type]),
    );

    const projection = ISSUE_COLUMNS.map((column) =>
      column.type === 'timestamp'
        ? `epoch_ms(${column.name})::DOUBLE AS ${column.name}`
        : column.type === 'int64'
          ? `${column.name}::DOUBLE AS ${column.name}`
          : column.name,
    ).join(', ');
    const readBack = await queryRows(connection, `SELECT ${projection} FROM read_parquet(${file})`);
    expect(readBack).toEqual(rows);
  });

  it('splits row groups at rowGroupSize and names the writer in the file metadata', async () => {
    const rows = Array.from({ length: 25 }, (_, index) => ({ text: `row ${index}`, count: index }));
    const file = await writeParquetFile(
      'groups.parquet',
      encodeParquet(ALL_TYPES, rows, { rowGroupSize: 10 }),
    );
    const groups = await queryRows(
      connection,
      `SELECT row_group_id, max(row_group_num_rows) AS rows, any_value(compression) AS compression,
              bool_and(stats_min IS NOT NULL OR path_in_schema <> 'count') AS has_stats
       FROM parquet_metadata(${file}) GROUP BY row_group_id ORDER BY row_group_id`,
    );
    expect(groups).toEqual([
      { row_group_id: 0n, rows: 10n, compression: 'ZSTD', has_stats: true },
      { row_group_id: 1n, rows: 10n, compression: 'ZSTD', has_stats: true },
      { row_group_id: 2n, rows: 5n, compression: 'ZSTD', has_stats: true },
    ]);
    const [metadata] = await queryRows(connection, `SELECT created_by FROM parquet_file_metadata(${file})`);
    expect(metadata?.created_by).toBe(PARQUET_CREATED_BY);
    expect(PARQUET_CREATED_BY).toMatch(/^error-tracking-export version \S+ \(build .+\)$/);
    const keyValues = await queryRows(
      connection,
      `SELECT key::VARCHAR AS key FROM parquet_kv_metadata(${file})`,
    );
    expect(keyValues.map((row) => row.key)).toContain('error-tracking-export.version');
    const [count] = await queryRows(
      connection,
      `SELECT count(*) AS rows, sum(count) AS total FROM read_parquet(${file})`,
    );
    expect(count).toEqual({ rows: 25n, total: 300n });
  });

  it('writes a readable file with no rows, and works for the state-change columns too', async () => {
    const empty = await writeParquetFile('empty.parquet', encodeParquet(STATE_CHANGE_COLUMNS, []));
    expect(await queryRows(connection, `SELECT count(*) AS rows FROM read_parquet(${empty})`)).toEqual([
      { rows: 0n },
    ]);
    const described = await queryRows(connection, `DESCRIBE SELECT * FROM read_parquet(${empty})`);
    expect(described.map((row) => row.column_name)).toEqual(
      STATE_CHANGE_COLUMNS.map((column) => column.name),
    );
  });

  it('streams the same file, byte for byte, one row group at a time', async () => {
    const rows = Array.from({ length: 25 }, (_, index) => ({
      ...ALL_TYPES_ROWS[index % ALL_TYPES_ROWS.length],
      text: `row ${index}`,
    }));
    const streamed = await encodeParquetStreaming(ALL_TYPES, rows, { rowGroupSize: 10 });
    expect(
      Buffer.from(streamed).equals(Buffer.from(encodeParquet(ALL_TYPES, rows, { rowGroupSize: 10 }))),
    ).toBe(true);
    const file = await writeParquetFile('streamed.parquet', streamed);
    const [summary] = await queryRows(
      connection,
      `SELECT count(*) AS rows, count(DISTINCT text) AS texts FROM read_parquet(${file})`,
    );
    expect(summary).toEqual({ rows: 25n, texts: 25n });
    const empty = await encodeParquetStreaming(ALL_TYPES, []);
    expect(Buffer.from(empty).equals(Buffer.from(encodeParquet(ALL_TYPES, [])))).toBe(true);
    await expect(
      encodeParquetStreaming(ALL_TYPES, [{ count: 1 }, { count: 'x' }], { rowGroupSize: 1 }),
    ).rejects.toThrow(/Column count row 1/);
  });

  it('rejects values of the wrong type with the column and row in the message', () => {
    expect(() => encodeParquet(ALL_TYPES, [{ count: 1.5 }])).toThrow(ParquetEncodingError);
    expect(() => encodeParquet(ALL_TYPES, [{}, { count: '3' }])).toThrow(
      /Column count row 1: expected a safe integer/,
    );
    expect(() => encodeParquet(ALL_TYPES, [{ count: 2 ** 53 }])).toThrow(/safe integer/);
    expect(() => encodeParquet(ALL_TYPES, [{ text: 5 }])).toThrow(/Column text row 0: expected a string/);
    expect(() => encodeParquet(ALL_TYPES, [{ flag: 'yes' }])).toThrow(
      /Column flag row 0: expected a boolean/,
    );
    expect(() => encodeParquet(ALL_TYPES, [{ tags: 'a' }])).toThrow(/Column tags row 0: expected an array/);
    expect(() => encodeParquet(ALL_TYPES, [{ tags: [1] }])).toThrow(
      /Column tags row 0: expected array items/,
    );
    expect(() => encodeParquet(ALL_TYPES, [], { rowGroupSize: 0 })).toThrow(/rowGroupSize/);
  });
});
