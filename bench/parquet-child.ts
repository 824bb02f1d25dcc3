/**
 * Section 2, one row count per process: encodes generated issue rows with `encodeParquet` (the full column
 * contract), then loads the very same rows into DuckDB (from that Parquet file) and times DuckDB's own
 * `COPY … (FORMAT parquet, COMPRESSION zstd)` of them, in the same process, as the near-limit anchor.
 */
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  arrowSchemaFor,
  buildRecordBatch,
  DEFAULT_ROW_GROUP_SIZE,
  encodeParquet,
  encodeParquetStreaming,
} from '../lib/warehouse/parquet';
import { ISSUE_COLUMNS } from '../lib/warehouse/schema';
import { peakRssBytes, serveBenchChild } from './child';
import { generateIssueRows } from './parquet-writers-gen';
import { median } from './stats';

export interface ParquetChildInput {
  readonly rows: number;
  readonly maxRuns: number;
  /** No further run starts once the timed encodes of this child add up to this many seconds. */
  readonly runBudgetSeconds: number;
}

export interface TimedRuns {
  readonly runsSeconds: number[];
  readonly medianSeconds: number;
  readonly rowsPerSecond: number;
  readonly fileBytes: number;
}

export interface ParquetChildResult {
  readonly rows: number;
  readonly generateSeconds: number;
  readonly encodeParquet: TimedRuns & { readonly cpuSecondsPerRun: number };
  readonly duckdbCopy: TimedRuns & { readonly threads: number };
  /**
   * Where encodeParquet's time goes, from one more run of its first half alone: building the Arrow record
   * batches in JavaScript. The rest is the IPC copy into WebAssembly and the Rust Parquet writer.
   */
  readonly arrowBuildSeconds: number;
  /** One run of encodeParquetStreaming, the variant the exporter's bucket writer calls. */
  readonly streaming: {
    readonly seconds: number;
    readonly rowsPerSecond: number;
    readonly fileBytes: number;
  };
  readonly duckdbReadBackRows: number;
  readonly rowGroupSize: number;
  readonly peakRssBytes: number;
}

const seconds = (milliseconds: number) => milliseconds / 1000;
const sqlString = (text: string) => `'${text.replaceAll("'", "''")}'`;

async function timeRuns(
  input: ParquetChildInput,
  run: (index: number) => Promise<number>,
): Promise<{ runsSeconds: number[]; fileBytes: number }> {
  const runsSeconds: number[] = [];
  let fileBytes = 0;
  let spent = 0;
  while (runsSeconds.length < input.maxRuns && (runsSeconds.length === 0 || spent < input.runBudgetSeconds)) {
    const started = performance.now();
    fileBytes = await run(runsSeconds.length);
    const elapsed = seconds(performance.now() - started);
    runsSeconds.push(elapsed);
    spent += elapsed;
  }
  return { runsSeconds, fileBytes };
}

function summarize(rows: number, runs: { runsSeconds: number[]; fileBytes: number }): TimedRuns {
  const medianSeconds = median(runs.runsSeconds);
  return {
    runsSeconds: runs.runsSeconds.map((value) => Number(value.toFixed(3))),
    medianSeconds: Number(medianSeconds.toFixed(3)),
    rowsPerSecond: Math.round(rows / medianSeconds),
    fileBytes: runs.fileBytes,
  };
}

export async function runParquetChild(input: ParquetChildInput): Promise<ParquetChildResult> {
  const directory = await mkdtemp(join(tmpdir(), 'ete-bench-parquet-'));
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const generateStarted = performance.now();
    const rows = generateIssueRows(input.rows) as unknown as Record<string, unknown>[];
    const generateSeconds = seconds(performance.now() - generateStarted);

    // Both writers get one untimed warm-up, so neither pays for compiling WebAssembly or loading an extension.
    encodeParquet(ISSUE_COLUMNS, rows.slice(0, 1_000));
    let encoded: Uint8Array = new Uint8Array();
    let cpuMicros = 0;
    const encodeRuns = await timeRuns(input, async () => {
      const cpuBefore = process.cpuUsage();
      encoded = encodeParquet(ISSUE_COLUMNS, rows);
      const cpu = process.cpuUsage(cpuBefore);
      cpuMicros += cpu.user + cpu.system;
      return encoded.byteLength;
    });
    const buildStarted = performance.now();
    const schema = arrowSchemaFor(ISSUE_COLUMNS);
    for (let start = 0; start < rows.length; start += DEFAULT_ROW_GROUP_SIZE) {
      buildRecordBatch(
        ISSUE_COLUMNS,
        schema,
        rows,
        start,
        Math.min(DEFAULT_ROW_GROUP_SIZE, rows.length - start),
      );
    }
    const arrowBuildSeconds = seconds(performance.now() - buildStarted);
    const oursPath = join(directory, 'encode-parquet.parquet');
    await writeFile(oursPath, encoded);
    encoded = new Uint8Array();
    const streamingStarted = performance.now();
    const streamed = await encodeParquetStreaming(ISSUE_COLUMNS, rows);
    const streamingSeconds = seconds(performance.now() - streamingStarted);

    await connection.run(`CREATE TABLE issues AS SELECT * FROM read_parquet(${sqlString(oursPath)})`);
    const countReader = await connection.runAndReadAll('SELECT count(*) AS rows FROM issues');
    const duckdbReadBackRows = Number(countReader.getRowObjectsJS()[0]?.rows ?? 0);
    const threadsReader = await connection.runAndReadAll("SELECT current_setting('threads') AS threads");
    const threads = Number(threadsReader.getRowObjectsJS()[0]?.threads ?? 0);
    const copyTo = (name: string) =>
      `COPY issues TO ${sqlString(join(directory, name))} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${DEFAULT_ROW_GROUP_SIZE})`;
    await connection.run(copyTo('warm-up.parquet'));
    const copyRuns = await timeRuns(input, async (index) => {
      const name = `duckdb-${index}.parquet`;
      await connection.run(copyTo(name));
      return (await stat(join(directory, name))).size;
    });

    return {
      rows: rows.length,
      generateSeconds: Number(generateSeconds.toFixed(1)),
      encodeParquet: {
        ...summarize(rows.length, encodeRuns),
        cpuSecondsPerRun: Number((cpuMicros / 1e6 / encodeRuns.runsSeconds.length).toFixed(3)),
      },
      duckdbCopy: { ...summarize(rows.length, copyRuns), threads },
      arrowBuildSeconds: Number(arrowBuildSeconds.toFixed(3)),
      streaming: {
        seconds: Number(streamingSeconds.toFixed(3)),
        rowsPerSecond: Math.round(rows.length / streamingSeconds),
        fileBytes: streamed.byteLength,
      },
      duckdbReadBackRows,
      rowGroupSize: DEFAULT_ROW_GROUP_SIZE,
      peakRssBytes: peakRssBytes(),
    };
  } finally {
    connection.closeSync();
    instance.closeSync();
    await rm(directory, { recursive: true, force: true });
  }
}

serveBenchChild(runParquetChild);
