/**
 * Which Parquet writer the warehouse uses, measured: parquetjs-lite, apache-arrow + parquet-wasm (the
 * encoder in lib/warehouse/parquet.ts, zstd and snappy, plus Arrow's own builders for comparison) and
 * DuckDB's COPY as an anchor. Every output is read back with DuckDB to check the types the warehouse
 * promises. Run: node --import tsx bench/parquet-writers.ts [--rows N] [--runs N] [--skip-1m]
 * Writes bench/parquet-writers.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  type DuckDBConnection,
  DuckDBInstance,
  type DuckDBValue,
  LIST,
  listValue,
  timestampTZValue,
  VARCHAR,
} from '@duckdb/node-api';
import { makeData, RecordBatch, RecordBatchStreamWriter, Struct, vectorFromArray } from 'apache-arrow';
import {
  Compression,
  EnabledStatistics,
  Table as WasmTable,
  WriterPropertiesBuilder,
  WriterVersion,
  wasmMemory,
  writeParquet,
} from 'parquet-wasm/node';
import {
  arrowSchemaFor,
  buildRecordBatch,
  DEFAULT_ROW_GROUP_SIZE,
  encodeParquet,
  encodeParquetStreaming,
  PARQUET_CREATED_BY,
} from '../lib/warehouse/parquet';
import { ISSUE_COLUMNS, type IssueRow } from '../lib/warehouse/schema';
import { generateIssueRows } from './parquet-writers-gen';

// ---------------------------------------------------------------------------------------------------------
// Writers.

type Writer = (rows: IssueRow[], path: string, connection: DuckDBConnection) => Promise<void>;

function wasmWriterProperties(compression: Compression) {
  return new WriterPropertiesBuilder()
    .setCompression(compression)
    .setStatisticsEnabled(EnabledStatistics.Page)
    .setMaxRowGroupSize(DEFAULT_ROW_GROUP_SIZE)
    .setWriterVersion(WriterVersion.V1)
    .setCreatedBy(PARQUET_CREATED_BY)
    .build();
}

const arrowTypedArraysZstd: Writer = async (rows, path) => {
  await writeFile(path, encodeParquet(ISSUE_COLUMNS, rows as unknown as Record<string, unknown>[]));
};

const arrowTypedArraysZstdStreaming: Writer = async (rows, path) => {
  await writeFile(
    path,
    await encodeParquetStreaming(ISSUE_COLUMNS, rows as unknown as Record<string, unknown>[]),
  );
};

const arrowTypedArraysSnappy: Writer = async (rows, path) => {
  const schema = arrowSchemaFor(ISSUE_COLUMNS);
  const writer = new RecordBatchStreamWriter();
  writer.reset(undefined, schema);
  for (let start = 0; start < rows.length; start += DEFAULT_ROW_GROUP_SIZE) {
    const length = Math.min(DEFAULT_ROW_GROUP_SIZE, rows.length - start);
    writer.write(
      buildRecordBatch(ISSUE_COLUMNS, schema, rows as unknown as Record<string, unknown>[], start, length),
    );
  }
  writer.finish();
  const table = WasmTable.fromIPCStream(writer.toUint8Array(true));
  await writeFile(path, writeParquet(table, wasmWriterProperties(Compression.SNAPPY)));
};

/** The same pipeline with Arrow's generic builders (`vectorFromArray`) instead of hand-built typed arrays. */
const arrowBuildersZstd: Writer = async (rows, path) => {
  const schema = arrowSchemaFor(ISSUE_COLUMNS);
  const children = schema.fields.map((field, index) => {
    const column = ISSUE_COLUMNS[index]!;
    const values = rows.map((row) => {
      const value = row[column.name];
      if (typeof value === 'number' && column.type === 'int64') return BigInt(value);
      return value;
    });
    return vectorFromArray(values, field.type).data[0]!;
  });
  const batch = new RecordBatch(
    schema,
    makeData({ type: new Struct(schema.fields), length: rows.length, nullCount: 0, children }),
  );
  const writer = new RecordBatchStreamWriter();
  writer.reset(undefined, schema);
  writer.write(batch);
  writer.finish();
  const table = WasmTable.fromIPCStream(writer.toUint8Array(true));
  await writeFile(path, writeParquet(table, wasmWriterProperties(Compression.ZSTD)));
};

interface ParquetJsLite {
  ParquetSchema: new (definition: Record<string, unknown>) => unknown;
  ParquetWriter: {
    openFile(
      schema: unknown,
      path: string,
      options?: Record<string, unknown>,
    ): Promise<{ appendRow(row: Record<string, unknown>): Promise<void>; close(): Promise<void> }>;
  };
}
const parquetJsLite = createRequire(import.meta.url)('parquetjs-lite') as ParquetJsLite;

function parquetJsLiteWriter(compression: 'SNAPPY' | 'GZIP'): Writer {
  const typeFor = {
    string: 'UTF8',
    json: 'UTF8',
    int64: 'INT64',
    boolean: 'BOOLEAN',
    timestamp: 'TIMESTAMP_MILLIS',
  };
  const definition: Record<string, unknown> = {};
  for (const column of ISSUE_COLUMNS) {
    definition[column.name] =
      column.type === 'string_list'
        ? // parquetjs-lite has no LIST annotation; a bare repeated field is all it can write.
          { type: 'UTF8', repeated: true, compression }
        : { type: typeFor[column.type], optional: true, compression };
  }
  const schema = new parquetJsLite.ParquetSchema(definition);
  return async (rows, path) => {
    const writer = await parquetJsLite.ParquetWriter.openFile(schema, path, {
      rowGroupSize: DEFAULT_ROW_GROUP_SIZE,
    });
    for (const row of rows) {
      const record: Record<string, unknown> = {};
      for (const column of ISSUE_COLUMNS) {
        const value = row[column.name];
        if (value === null) continue;
        if (column.type === 'string_list') {
          // Repeated fields cannot hold null items; they are dropped.
          record[column.name] = (value as (string | null)[]).filter((item) => item !== null);
        } else if (column.type === 'timestamp') {
          record[column.name] = new Date(value as number);
        } else {
          record[column.name] = value;
        }
      }
      await writer.appendRow(record);
    }
    await writer.close();
  };
}

/** DuckDB anchor: the Appender loads the same JS rows, then COPY writes zstd Parquet. */
const duckdbCopy: Writer = async (rows, path, connection) => {
  await connection.run('DROP TABLE IF EXISTS bench_rows');
  const sqlTypes = {
    string: 'VARCHAR',
    json: 'VARCHAR',
    int64: 'BIGINT',
    boolean: 'BOOLEAN',
    timestamp: 'TIMESTAMPTZ',
    string_list: 'VARCHAR[]',
  };
  await connection.run(
    `CREATE TABLE bench_rows (${ISSUE_COLUMNS.map((column) => `${column.name} ${sqlTypes[column.type]}`).join(', ')})`,
  );
  const appender = await connection.createAppender('bench_rows');
  const stringListType = LIST(VARCHAR);
  for (const row of rows) {
    for (const column of ISSUE_COLUMNS) {
      const value = row[column.name];
      if (value === null) appender.appendNull();
      else if (column.type === 'int64') appender.appendBigInt(BigInt(value as number));
      else if (column.type === 'timestamp')
        appender.appendTimestampTZ(timestampTZValue(BigInt(value as number) * 1000n));
      else if (column.type === 'boolean') appender.appendBoolean(value as boolean);
      else if (column.type === 'string_list')
        appender.appendList(listValue(value as DuckDBValue[]), stringListType);
      else appender.appendVarchar(value as string);
    }
    appender.endRow();
  }
  appender.closeSync();
  await connection.run(
    `COPY bench_rows TO '${path}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${DEFAULT_ROW_GROUP_SIZE})`,
  );
};

// ---------------------------------------------------------------------------------------------------------
// Read-back checks.

interface ReadBackCheck {
  describeTypes: Record<string, string>;
  listColumnsAreVarcharArray: boolean;
  timestampsAreTimestamptz: boolean;
  countsAreBigint: boolean;
  parquetTimestamp: string | null;
  timestampIsMillisUtc: boolean;
  countPhysicalType: string | null;
  listIsStandardThreeLevel: boolean;
  valuesMatch: boolean;
  mismatches: string[];
}

async function readBackCheck(
  connection: DuckDBConnection,
  path: string,
  rows: IssueRow[],
): Promise<ReadBackCheck> {
  const describe = await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${path}')`);
  const describeTypes: Record<string, string> = {};
  for (const row of describe.getRowObjectsJson())
    describeTypes[String(row.column_name)] = String(row.column_type);
  const schemaRows = (
    await connection.runAndReadAll(
      `SELECT name, type, repetition_type, converted_type, logical_type, num_children FROM parquet_schema('${path}')`,
    )
  ).getRowObjectsJson();
  const firstSeen = schemaRows.find((row) => row.name === 'first_seen');
  const totalCount = schemaRows.find((row) => row.name === 'total_count');
  const languagesIndex = schemaRows.findIndex((row) => row.name === 'languages');
  const group = schemaRows[languagesIndex];
  const repeated = schemaRows[languagesIndex + 1];
  const element = schemaRows[languagesIndex + 2];
  const listIsStandardThreeLevel =
    group?.converted_type === 'LIST' &&
    group?.type === null &&
    repeated?.repetition_type === 'REPEATED' &&
    repeated?.type === null &&
    element?.repetition_type === 'OPTIONAL' &&
    element?.type === 'BYTE_ARRAY';

  // Values: a deterministic sample of rows compared field by field, plus whole-file aggregates.
  const mismatches: string[] = [];
  const sampleIndexes = Array.from({ length: 200 }, (_, index) => Math.floor((index * rows.length) / 200));
  const projection = ISSUE_COLUMNS.map((column) =>
    column.type === 'timestamp'
      ? `epoch_ms(${column.name}) AS ${column.name}`
      : column.type === 'int64'
        ? `${column.name}::DOUBLE AS ${column.name}`
        : column.name,
  ).join(', ');
  const actual = (
    await connection.runAndReadAll(
      `SELECT ${projection} FROM (SELECT *, row_number() OVER () - 1 AS position FROM read_parquet('${path}'))
       WHERE position IN (${sampleIndexes.join(',')}) ORDER BY position`,
    )
  ).getRowObjectsJS();
  sampleIndexes.forEach((rowIndex, sampleIndex) => {
    const expected = rows[rowIndex]!;
    const got = actual[sampleIndex] ?? {};
    for (const column of ISSUE_COLUMNS) {
      let want: unknown = expected[column.name];
      let have: unknown = got[column.name];
      if (typeof have === 'bigint') have = Number(have);
      if (
        column.type === 'string_list' &&
        Array.isArray(want) &&
        describeTypes[column.name] !== 'VARCHAR[]'
      ) {
        want = JSON.stringify(want);
        have = JSON.stringify(have);
      }
      if (JSON.stringify(want) !== JSON.stringify(have) && mismatches.length < 5) {
        mismatches.push(
          `row ${rowIndex} ${column.name}: want ${JSON.stringify(want)} got ${JSON.stringify(have)}`,
        );
      }
    }
  });
  const aggregates = (
    await connection.runAndReadAll(
      `SELECT count(*)::DOUBLE AS rows, sum(total_count)::DOUBLE AS total, count(team_handles)::DOUBLE AS team_lists,
              sum(len(team_handles))::DOUBLE AS team_items FROM read_parquet('${path}')`,
    )
  ).getRowObjectsJS()[0]!;
  const expectedTotal = rows.reduce((sum, row) => sum + row.total_count, 0);
  const expectedTeamItems = rows.reduce((sum, row) => sum + (row.team_handles?.length ?? 0), 0);
  if (aggregates.rows !== rows.length) mismatches.push(`row count ${aggregates.rows} != ${rows.length}`);
  if (aggregates.total !== expectedTotal)
    mismatches.push(`sum(total_count) ${aggregates.total} != ${expectedTotal}`);
  if (aggregates.team_items !== expectedTeamItems) {
    mismatches.push(`team_handles items ${aggregates.team_items} != ${expectedTeamItems}`);
  }

  const listColumns = ISSUE_COLUMNS.filter((column) => column.type === 'string_list').map(
    (column) => column.name,
  );
  const timestampColumns = ISSUE_COLUMNS.filter((column) => column.type === 'timestamp').map(
    (column) => column.name,
  );
  const countColumns = ISSUE_COLUMNS.filter((column) => column.type === 'int64').map((column) => column.name);
  return {
    describeTypes: {
      languages: describeTypes.languages ?? '?',
      first_seen: describeTypes.first_seen ?? '?',
      total_count: describeTypes.total_count ?? '?',
    },
    listColumnsAreVarcharArray: listColumns.every((name) => describeTypes[name] === 'VARCHAR[]'),
    timestampsAreTimestamptz: timestampColumns.every(
      (name) => describeTypes[name] === 'TIMESTAMP WITH TIME ZONE',
    ),
    countsAreBigint: countColumns.every((name) => describeTypes[name] === 'BIGINT'),
    parquetTimestamp: firstSeen ? `${firstSeen.converted_type} / ${firstSeen.logical_type}` : null,
    timestampIsMillisUtc:
      typeof firstSeen?.logical_type === 'string' &&
      firstSeen.logical_type.includes('isAdjustedToUTC=1') &&
      firstSeen.logical_type.includes('MILLIS=MilliSeconds()'),
    countPhysicalType: totalCount ? String(totalCount.type) : null,
    listIsStandardThreeLevel,
    valuesMatch: mismatches.length === 0,
    mismatches,
  };
}

// ---------------------------------------------------------------------------------------------------------
// One-million-row memory probe, run in a child process so its peak RSS is its own.

async function encodeMillionRowsProbe(mode: string): Promise<void> {
  const rows = generateIssueRows(1_000_000, 7) as unknown as Record<string, unknown>[];
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const bytes =
    mode === 'streaming'
      ? await encodeParquetStreaming(ISSUE_COLUMNS, rows)
      : encodeParquet(ISSUE_COLUMNS, rows);
  const cpu = process.cpuUsage(cpuStarted);
  process.stdout.write(
    JSON.stringify({
      function: mode === 'streaming' ? 'encodeParquetStreaming' : 'encodeParquet',
      rows: rows.length,
      seconds: Number(((performance.now() - started) / 1000).toFixed(2)),
      cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
      fileBytes: bytes.length,
      rssBeforeEncodeMiB: Math.round(rssBefore / 2 ** 20),
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      wasmMemoryMiB: Math.round(wasmMemory().buffer.byteLength / 2 ** 20),
    }),
  );
}

// ---------------------------------------------------------------------------------------------------------

interface WriterResult {
  writer: string;
  runsSeconds: number[];
  medianSeconds: number;
  rowsPerSecond: number;
  /** Process CPU time (all threads): steadier than wall time on a shared machine; DuckDB uses 2 threads. */
  medianCpuSeconds: number;
  rowsPerCpuSecond: number;
  fileBytes: number;
  readBack: ReadBackCheck;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '200000' },
      runs: { type: 'string', default: '3' },
      'skip-1m': { type: 'boolean', default: false },
      'probe-1m': { type: 'string' },
    },
  });
  if (values['probe-1m'] !== undefined) return encodeMillionRowsProbe(values['probe-1m']);
  const rowCount = Number(values.rows);
  const runs = Number(values.runs);

  const rows = generateIssueRows(rowCount);
  const directory = await mkdtemp(join(tmpdir(), 'parquet-writers-'));
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const writers: [string, Writer][] = [
    ['arrow+parquet-wasm zstd (typed arrays, lib/warehouse/parquet.ts)', arrowTypedArraysZstd],
    ['arrow+parquet-wasm zstd streaming (encodeParquetStreaming)', arrowTypedArraysZstdStreaming],
    ['arrow+parquet-wasm snappy (typed arrays)', arrowTypedArraysSnappy],
    ['arrow+parquet-wasm zstd (vectorFromArray builders)', arrowBuildersZstd],
    ['duckdb appender + COPY zstd', duckdbCopy],
    ['parquetjs-lite snappy', parquetJsLiteWriter('SNAPPY')],
    ['parquetjs-lite gzip', parquetJsLiteWriter('GZIP')],
  ];
  const results: WriterResult[] = [];
  try {
    for (const [name, writer] of writers) {
      const path = join(directory, `${results.length}.parquet`);
      // Untimed warm-up so WebAssembly compilation and JIT tiering do not land in the first timed run.
      await writer(rows.slice(0, 2000), path, connection);
      const runsSeconds: number[] = [];
      const runsCpuSeconds: number[] = [];
      for (let run = 0; run < runs; run++) {
        await rm(path, { force: true });
        const started = performance.now();
        const cpuStarted = process.cpuUsage();
        await writer(rows, path, connection);
        const cpu = process.cpuUsage(cpuStarted);
        runsSeconds.push((performance.now() - started) / 1000);
        runsCpuSeconds.push((cpu.user + cpu.system) / 1e6);
      }
      const medianSeconds = median(runsSeconds);
      const medianCpuSeconds = median(runsCpuSeconds);
      const result: WriterResult = {
        writer: name,
        runsSeconds: runsSeconds.map((seconds) => Number(seconds.toFixed(3))),
        medianSeconds: Number(medianSeconds.toFixed(3)),
        rowsPerSecond: Math.round(rowCount / medianSeconds),
        medianCpuSeconds: Number(medianCpuSeconds.toFixed(3)),
        rowsPerCpuSecond: Math.round(rowCount / medianCpuSeconds),
        fileBytes: (await stat(path)).size,
        readBack: await readBackCheck(connection, path, rows),
      };
      results.push(result);
      process.stderr.write(`${name}: ${result.rowsPerSecond} rows/s, ${result.fileBytes} bytes\n`);
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
    await rm(directory, { recursive: true, force: true });
  }

  // Each probe runs in its own process so its peak RSS and WebAssembly memory are its own.
  const millionRows: unknown[] = [];
  for (const mode of values['skip-1m'] ? [] : ['buffered', 'streaming']) {
    const child = spawnSync(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), '--probe-1m', mode],
      { encoding: 'utf8', maxBuffer: 1 << 20 },
    );
    millionRows.push(
      child.status === 0 ? JSON.parse(child.stdout) : { mode, error: child.stderr.slice(-2000) },
    );
  }

  const report = {
    generatedAt: new Date().toISOString(),
    machine: {
      node: process.version,
      cpus: cpus().length,
      // Other work on the machine skews wall times; the load average says how much.
      loadAverageAtEnd: loadavg().map((load) => Number(load.toFixed(2))),
    },
    rows: rowCount,
    runs,
    rowGroupSize: DEFAULT_ROW_GROUP_SIZE,
    results,
    encodeParquetOneMillionRows: millionRows,
  };
  const outputPath = fileURLToPath(new URL('./parquet-writers.json', import.meta.url));
  await writeFile(outputPath, `${JSON.stringify(report, null, 2)}\n`);

  console.table(
    results.map((result) => ({
      writer: result.writer,
      'rows/s': result.rowsPerSecond,
      'rows/cpu-s': result.rowsPerCpuSecond,
      'median s': result.medianSeconds,
      MiB: Number((result.fileBytes / 2 ** 20).toFixed(2)),
      'VARCHAR[]': result.readBack.listColumnsAreVarcharArray,
      TIMESTAMPTZ: result.readBack.timestampsAreTimestamptz,
      'MILLIS UTC': result.readBack.timestampIsMillisUtc,
      INT64: result.readBack.countPhysicalType === 'INT64',
      '3-level LIST': result.readBack.listIsStandardThreeLevel,
      'values ok': result.readBack.valuesMatch,
    })),
  );
  for (const probe of millionRows) console.log('1M rows:', JSON.stringify(probe));
  console.log(`wrote ${outputPath}`);
}

await main();
