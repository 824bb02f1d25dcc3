/** Turns section results into target checks and markdown tables that can be pasted into the README. */
import type { EnumerationResult, ExporterMemory } from './enumeration';
import type { LambdaPackageResult } from './lambda-package';
import type { ParquetChildResult } from './parquet-child';
import type { PacingResult } from './rate-limit-pacing';
import type { StateStoreResult } from './state-store';
import { ratio, round, toMegabytes } from './stats';

export interface TargetCheck {
  readonly area: string;
  readonly measure: string;
  readonly value: string;
  readonly target: string;
  /** `null` for a measurement without a target. */
  readonly met: boolean | null;
}

export interface SectionResults {
  enumeration?: EnumerationResult[];
  memory?: ExporterMemory | null;
  parquet?: ParquetChildResult[];
  lambda?: LambdaPackageResult;
  pacing?: PacingResult;
  state?: StateStoreResult;
}

const number = (value: number) => value.toLocaleString('en-US');

function check(
  area: string,
  measure: string,
  value: string,
  target: string,
  met: boolean | null,
): TargetCheck {
  return { area, measure, value, target, met };
}

export function targetChecks(results: SectionResults): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const run of results.enumeration ?? []) {
    const limit = run.target;
    checks.push(
      check(
        'Enumeration',
        `${run.shape}${run.spread ? ` (seed ${run.org.seed})` : ''}: searches ÷ ceil(issue-buckets/100)`,
        `${run.searches} ÷ ${run.bounds.lowerBound} = ${run.ratioToLowerBound}× (÷ per-bucket bound ${run.bounds.perBucketBound} = ${run.ratioToPerBucketBound}×)`,
        limit === null ? '—' : `≤ ${limit}×`,
        limit === null || run.ratioToLowerBound === null ? null : run.ratioToLowerBound <= limit,
      ),
    );
    if (run.spread) {
      const { spread } = run;
      checks.push(
        check(
          'Enumeration',
          `${run.shape}, ${spread.seeds} seeds: searches ÷ ceil(issue-buckets/100)`,
          `mean ${spread.meanRatio}×, ${spread.bestRatio}–${spread.worstRatio}× (Σ searches ÷ Σ bounds ${spread.pooledRatio}×)`,
          limit === null ? '—' : `≤ ${limit}×`,
          limit === null ? null : spread.meanRatio <= limit,
        ),
      );
    }
    checks.push(
      check(
        'Enumeration',
        `${run.shape}: Σ total_count per issue-bucket = ground truth${run.spread ? ` (seed ${run.org.seed}; every seed exact: ${run.spread.exact ? 'yes' : 'NO'})` : ''}`,
        `${number(run.verification.matched)} / ${number(run.verification.expected)} issue-buckets, ${run.verification.missing} missing, ${run.verification.wrongTotals} wrong, ${run.verification.unexpected} invented, ${run.verification.duplicateRows} duplicate rows`,
        'exact',
        run.exact,
      ),
    );
    if (run.shape.startsWith('large')) {
      checks.push(
        check(
          'Enumeration',
          `${run.shape}: export wall time (${number(run.rows)} rows, ${run.org.hours} h)`,
          `${run.exportWallSeconds} s${run.reducedFrom ? ` (reduced from ${run.reducedFrom.shape}: ${run.reducedFrom.reason})` : ''}`,
          'finishes',
          run.reducedFrom === undefined && run.status === 'complete',
        ),
      );
    }
  }
  if (results.memory) {
    const memory = results.memory;
    checks.push(
      check(
        'Memory',
        `exporter peak RSS, ${number(memory.rows)} rows (${memory.shape})`,
        `${memory.exporterPeakRssMB} MB (simulator process: ${memory.simulatorPeakRssMB} MB; exporter at end: V8 heap ${memory.atEndMB.heapUsed} of ${memory.atEndMB.heapTotal} MB, parquet-wasm memory ${memory.atEndMB.parquetWasm} MB)`,
        '≤ 400 MB',
        memory.exporterPeakRssMB <= 400,
      ),
      check(
        'Memory',
        'exporter peak RSS at 1M rows, extrapolated',
        memory.extrapolatedPeakRssMBAt1M === null
          ? `n/a: ${number(memory.rows)} rows are too few for a slope`
          : `${memory.extrapolatedPeakRssMBAt1M} MB (slope ${memory.slopeMBPer100kRows} MB per 100k rows over the second half)`,
        '≤ 400 MB',
        memory.extrapolatedPeakRssMBAt1M === null ? null : memory.extrapolatedPeakRssMBAt1M <= 400,
      ),
    );
  }
  for (const size of results.parquet ?? []) {
    const ours = size.encodeParquet;
    const duckdb = size.duckdbCopy;
    const speedRatio = ratio(ours.rowsPerSecond, duckdb.rowsPerSecond, 3) ?? 0;
    const sizeRatio = ratio(ours.fileBytes, duckdb.fileBytes, 3) ?? Number.POSITIVE_INFINITY;
    const rows = number(size.rows);
    checks.push(
      check(
        'Parquet',
        `${rows} rows: encodeParquet rows/s`,
        `${number(ours.rowsPerSecond)} (median of ${ours.runsSeconds.length})`,
        '≥ 200,000',
        ours.rowsPerSecond >= 200_000,
      ),
      check(
        'Parquet',
        `${rows} rows: rows/s vs DuckDB COPY`,
        `${speedRatio}× (DuckDB ${number(duckdb.rowsPerSecond)} rows/s, ${duckdb.threads} threads)`,
        '≥ 0.15×',
        speedRatio >= 0.15,
      ),
      check(
        'Parquet',
        `${rows} rows: file size vs DuckDB zstd`,
        `${toMegabytes(ours.fileBytes)} MB vs ${toMegabytes(duckdb.fileBytes)} MB = ${sizeRatio}×`,
        '≤ 1.5×',
        sizeRatio <= 1.5,
      ),
    );
  }
  if (results.lambda) {
    const lambda = results.lambda;
    checks.push(
      check(
        'Lambda',
        `${lambda.entry} bundle (JS, minified)`,
        `${lambda.bundleMB} MB (+ parquet-wasm .wasm ${lambda.wasmMB} MB, source map ${toMegabytes(lambda.sourceMapBytes, 2)} MB)`,
        '≤ 3 MB',
        lambda.bundleBytes <= 3_000_000,
      ),
      check(
        'Lambda',
        `cold init: import in a fresh node, median of ${lambda.initMs.runs.length}`,
        `${lambda.initMs.median} ms (CPU ${lambda.initCpuMs.median} ms; without source maps ${lambda.initMsWithoutSourceMaps.median} ms; of which compiling parquet-wasm ${lambda.wasmCompileMs.median} ms; whole process ${lambda.processMs.median} ms; profile: ${lambda.initProfileMs
          .slice(0, 4)
          .map((entry) => `${entry.name} ${entry.ms} ms`)
          .join(', ')})`,
        '≤ 300 ms',
        lambda.initMs.median <= 300,
      ),
    );
  }
  if (results.pacing) {
    const pacing = results.pacing;
    const rate = `${pacing.limit}/${pacing.periodSeconds} s`;
    checks.push(
      check(
        'Rate limit',
        `${pacing.days}-day backfill at ${rate}: sustained rate`,
        `${pacing.sustainedPercentOfLimit}% of the limit over ${pacing.fullPeriods} full periods (${number(pacing.requests)} requests)`,
        '≥ 85%',
        pacing.sustainedPercentOfLimit >= 85,
      ),
      check(
        'Rate limit',
        '429s after the first period',
        `${pacing.rateLimitedAfterFirstPeriod} (first period: ${pacing.rateLimitedInFirstPeriod})`,
        '0',
        pacing.rateLimitedAfterFirstPeriod === 0,
      ),
      check(
        'Rate limit',
        'virtual wall time vs requests ÷ rate',
        `${number(pacing.virtualSeconds)} s vs ${number(pacing.floorSeconds)} s = ${pacing.ratioToFloor}× (calendar-aligned floor ${number(pacing.alignedFloorSeconds)} s; real ${pacing.realSeconds} s; export exact: ${pacing.exact})`,
        '—',
        null,
      ),
    );
  }
  if (results.state) {
    const state = results.state;
    checks.push(
      check(
        'State store',
        `${number(state.issues)} tracked issues: save / load, median of ${state.saveMs.runs.length}`,
        `${state.saveMs.median} ms / ${state.loadMs.median} ms`,
        '—',
        null,
      ),
    );
  }
  return checks;
}

const cell = (text: string) => text.replaceAll('|', '\\|');

function table(header: readonly string[], rows: ReadonlyArray<readonly (string | number)[]>): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.map((value) => cell(String(value))).join(' | ')} |`),
  ].join('\n');
}

const verdict = (met: boolean | null) => (met === null ? '—' : met ? 'met' : '**missed**');

export function renderMarkdown(
  results: SectionResults,
  checks: readonly TargetCheck[],
  header: string,
): string {
  const parts = [
    header,
    '',
    table(
      ['Area', 'Measure', 'Result', 'Target', 'Status'],
      checks.map((entry) => [entry.area, entry.measure, entry.value, entry.target, verdict(entry.met)]),
    ),
  ];
  if (results.enumeration?.length) {
    parts.push(
      '',
      table(
        [
          'Org shape',
          'Issues',
          'Hours',
          'Issue-buckets',
          'Searches',
          'Lower bound',
          '×',
          'Per-bucket bound',
          '×',
          'Saturated searches',
          'Leaves',
          'Mean results per leaf',
          'Results per issue-bucket',
          'Exact',
          'Export s',
        ],
        results.enumeration.map((run) => [
          run.shape,
          number(run.org.issues),
          run.org.hours,
          number(run.bounds.issueBuckets),
          run.searches,
          run.bounds.lowerBound,
          run.ratioToLowerBound ?? '—',
          run.bounds.perBucketBound,
          run.ratioToPerBucketBound ?? '—',
          run.excess.saturatedSearches,
          run.excess.leaves,
          run.excess.meanLeafResults,
          run.excess.resultsPerIssueBucket,
          run.exact ? 'yes' : 'NO',
          run.exportWallSeconds,
        ]),
      ),
    );
  }
  const spreads = (results.enumeration ?? []).filter((run) => run.spread);
  if (spreads.length > 0) {
    parts.push(
      '',
      table(
        ['Org shape', 'Seed: searches ÷ lower bound', 'Mean ×', 'Best–worst ×', 'Σ ÷ Σ', 'Exact'],
        spreads.map((run) => [
          run.shape,
          run.seedRuns.map((seed) => `${seed.seed}: ${seed.searches} ÷ ${seed.lowerBound}`).join(', '),
          run.spread!.meanRatio,
          `${run.spread!.bestRatio}–${run.spread!.worstRatio}`,
          run.spread!.pooledRatio,
          run.spread!.exact ? 'yes' : 'NO',
        ]),
      ),
    );
  }
  if (results.parquet?.length) {
    parts.push(
      '',
      table(
        [
          'Rows',
          'encodeParquet rows/s',
          'MB',
          'DuckDB COPY rows/s',
          'MB',
          'Speed ×',
          'Size ×',
          'Runs (s): ours / DuckDB',
          'Arrow build s',
          'encodeParquetStreaming rows/s',
          'Peak RSS MB',
        ],
        results.parquet.map((size) => [
          number(size.rows),
          number(size.encodeParquet.rowsPerSecond),
          toMegabytes(size.encodeParquet.fileBytes),
          number(size.duckdbCopy.rowsPerSecond),
          toMegabytes(size.duckdbCopy.fileBytes),
          ratio(size.encodeParquet.rowsPerSecond, size.duckdbCopy.rowsPerSecond, 3) ?? '—',
          ratio(size.encodeParquet.fileBytes, size.duckdbCopy.fileBytes, 3) ?? '—',
          `${size.encodeParquet.runsSeconds.join(', ')} / ${size.duckdbCopy.runsSeconds.join(', ')}`,
          size.arrowBuildSeconds,
          number(size.streaming.rowsPerSecond),
          toMegabytes(size.peakRssBytes, 0),
        ]),
      ),
    );
  }
  parts.push('', 'MB = 10⁶ bytes. Ratios compare measurements taken in the same run; times are medians.');
  return parts.join('\n');
}

export const formatSeconds = (milliseconds: number) => `${round(milliseconds / 1000, 1)} s`;
