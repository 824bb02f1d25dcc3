/**
 * Section 1 (enumeration efficiency) and section 3 (exporter memory). Each org shape runs with the
 * simulator in one child process and the export in another, over real HTTP; the parent regenerates the
 * same org from its seed to compute the ground truth and checks the warehouse against it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type GroundTruthEntry,
  generateOrg,
  groundTruth,
  type OrgOptions,
  resolveOrgOptions,
  type SimulatorOptions,
} from '../lib/simulator';
import { compareWithGroundTruth } from '../lib/simulator/verify';
import { openWarehouse } from '../lib/warehouse/duckdb';
import { forkBenchScript, nextMessage, runBenchChild } from './child';
import type { ExportChildInput, ExportChildResult } from './export-child';
import type { SimulatorChildReady, SimulatorChildResult } from './simulator-child';
import { ratio, round, toMegabytes } from './stats';

export const HOUR = 3_600_000;
const SEARCH_RESULT_CAP = 100;

export interface OrgShape {
  readonly name: string;
  readonly org: OrgOptions;
  /** Upper bound for the export child; past it the shape is reported as not finishing. */
  readonly timeoutMs: number;
  /**
   * Other seeds of the same shape, exported and checked the same way. One org's search count is one draw:
   * a change that saves a search on one seed often costs one on another, so a shape is judged by its
   * spread over seeds. The org's own seed is the one reported in detail.
   */
  readonly seeds?: readonly number[];
  /** Run instead when the shape does not finish in time. */
  readonly reduced?: OrgShape;
  /** The most searches per ceil(issue-buckets / 100) the shape may take; none for shapes only reported. */
  readonly target?: number;
  /**
   * How the simulated API differs from the reference's: query fields it refuses with a 400 (as one without
   * the error-type facet would), or no more than the reference shows (see `SimulatorOptions`).
   */
  readonly api?: ApiVariant;
}

/** The simulator options a shape may set for its API. */
export type ApiVariant = Pick<
  SimulatorOptions,
  'refusedQueryFields' | 'queryForms' | 'rankings' | 'trackAttribute' | 'statesAttribute' | 'refusalStatus'
>;

export interface SearchBounds {
  readonly issueBuckets: number;
  /** ceil(issue-buckets / 100): every search returns at most 100 issue-buckets. */
  readonly lowerBound: number;
  /**
   * Σ over every bucket of the range of ceil((issues in bucket + 1) / 100): what any exporter that builds
   * a bucket's rows from searches of that bucket needs at least. A search that returns 100 issues proves
   * nothing about the issues beyond them, so a bucket of 100 issues needs two, and an empty one still one.
   */
  readonly perBucketBound: number;
  readonly nonEmptyBuckets: number;
}

export interface SeedRun {
  readonly seed: number;
  readonly searches: number;
  readonly lowerBound: number;
  readonly ratioToLowerBound: number | null;
  readonly exact: boolean;
}

export interface SeedSpread {
  readonly seeds: number;
  readonly meanRatio: number;
  readonly bestRatio: number;
  readonly worstRatio: number;
  /** Σ searches ÷ Σ lower bounds: the seeds as one long export. */
  readonly pooledRatio: number;
  readonly exact: boolean;
}

export interface EnumerationResult {
  readonly shape: string;
  /** The shape's target for searches ÷ ceil(issue-buckets / 100), if it has one. */
  readonly target: number | null;
  readonly org: {
    readonly distribution: string;
    readonly issues: number;
    readonly services: number;
    readonly hours: number;
    readonly seed: number;
    /** How the simulated API differed from the reference's, when it did. */
    readonly api?: ApiVariant;
  };
  readonly bounds: SearchBounds;
  /** Searches of the reported seed's run. */
  readonly searches: number;
  /** Every seed's run, the reported seed first. */
  readonly seedRuns: readonly SeedRun[];
  /** Over `seedRuns`, when there is more than one. */
  readonly spread: SeedSpread | null;
  readonly requests: number;
  readonly ratioToLowerBound: number | null;
  readonly ratioToPerBucketBound: number | null;
  /** Where searches above the per-bucket bound went: saturated (re-searched) windows and extra leaves. */
  readonly excess: {
    readonly overPerBucketBound: number;
    readonly saturatedSearches: number;
    readonly leavesOverBound: number;
    readonly meanLeafResults: number;
    readonly leaves: number;
    /**
     * Results returned by leaf searches per issue-bucket: above 1 when an issue comes back from several
     * windows of one bucket (time splits), each of which costs a search.
     */
    readonly resultsPerIssueBucket: number;
    readonly emptyLeaves: number;
    readonly splits: Record<string, number>;
  };
  /** Every run's warehouse matched the ground truth exactly. */
  readonly exact: boolean;
  /** Verification of the reported run. */
  readonly verification: {
    readonly expected: number;
    readonly matched: number;
    readonly missing: number;
    readonly wrongTotals: number;
    readonly unexpected: number;
    readonly duplicateRows: number;
  };
  readonly status: string;
  readonly rows: number;
  readonly exportWallSeconds: number;
  readonly exporterPeakRssMB: number;
  readonly simulatorPeakRssMB: number;
  readonly exporterMemoryAtEndMB: {
    readonly rss: number;
    readonly heapUsed: number;
    readonly heapTotal: number;
    readonly external: number;
    readonly parquetWasm: number;
  };
  readonly rssByRows: ReadonlyArray<{ readonly rows: number; readonly peakRssMB: number }>;
  /** Set when the requested shape did not finish and this smaller one ran instead. */
  readonly reducedFrom?: { readonly shape: string; readonly reason: string };
}

export function searchBounds(
  truth: readonly GroundTruthEntry[],
  range: { readonly from: number; readonly to: number },
): SearchBounds {
  const perBucket = new Map<number, number>();
  for (const entry of truth) perBucket.set(entry.bucketStart, (perBucket.get(entry.bucketStart) ?? 0) + 1);
  let perBucketBound = 0;
  for (let bucketStart = Math.floor(range.from / HOUR) * HOUR; bucketStart < range.to; bucketStart += HOUR)
    perBucketBound += Math.ceil(((perBucket.get(bucketStart) ?? 0) + 1) / SEARCH_RESULT_CAP);
  return {
    issueBuckets: truth.length,
    lowerBound: Math.ceil(truth.length / SEARCH_RESULT_CAP),
    perBucketBound,
    nonEmptyBuckets: perBucket.size,
  };
}

async function exportAgainstSimulatorChild(
  orgOptions: OrgOptions,
  outDir: string,
  timeoutMs: number,
  api: ApiVariant = {},
): Promise<{ exported: ExportChildResult; simulator: SimulatorChildResult }> {
  const resolved = resolveOrgOptions(orgOptions);
  const simulatorChild = forkBenchScript('./simulator-child.ts');
  try {
    const ready = nextMessage<SimulatorChildReady>(simulatorChild, 'ready');
    simulatorChild.send({ type: 'input', value: { org: orgOptions, api } });
    const { url } = await ready;
    const input: ExportChildInput = {
      simulatorUrl: url,
      from: resolved.from,
      to: resolved.to,
      bucketMs: HOUR,
      outDir,
    };
    const exported = await runBenchChild<ExportChildResult>('./export-child.ts', input, { timeoutMs });
    const stopped = nextMessage<SimulatorChildResult>(simulatorChild, 'result');
    simulatorChild.send({ type: 'stop' });
    return { exported, simulator: await stopped };
  } finally {
    if (simulatorChild.exitCode === null && simulatorChild.signalCode === null) simulatorChild.kill();
  }
}

async function measureShape(shape: OrgShape): Promise<EnumerationResult> {
  const outDir = await mkdtemp(join(tmpdir(), 'ete-bench-warehouse-'));
  try {
    const { exported, simulator } = await exportAgainstSimulatorChild(
      shape.org,
      outDir,
      shape.timeoutMs,
      shape.api,
    );
    const org = generateOrg(shape.org);
    const range = { from: org.from, to: org.to };
    const truth = groundTruth(org, { ...range, bucketMs: HOUR });
    const bounds = searchBounds(truth, range);
    const warehouse = await openWarehouse(outDir);
    const comparison = await (async () => {
      try {
        return await compareWithGroundTruth(warehouse, truth, range);
      } finally {
        warehouse.close();
      }
    })();
    const verification = {
      expected: comparison.expected,
      matched: comparison.matched,
      missing: comparison.missing.length,
      wrongTotals: comparison.wrongTotals.length,
      unexpected: comparison.unexpected.length,
      duplicateRows: comparison.duplicateRows,
    };
    const { searchResponses } = exported;
    return {
      shape: shape.name,
      target: shape.target ?? null,
      org: {
        distribution: org.options.distribution,
        issues: org.issues.length,
        services: org.options.services,
        hours: round((org.to - org.from) / HOUR, 1),
        seed: org.seed,
        ...(shape.api ? { api: shape.api } : {}),
      },
      bounds,
      searches: exported.searches,
      seedRuns: [],
      spread: null,
      requests: exported.requests,
      ratioToLowerBound: ratio(exported.searches, bounds.lowerBound),
      ratioToPerBucketBound: ratio(exported.searches, bounds.perBucketBound),
      excess: {
        overPerBucketBound: exported.searches - bounds.perBucketBound,
        saturatedSearches: searchResponses.saturated,
        leavesOverBound: searchResponses.leaves - bounds.perBucketBound,
        meanLeafResults:
          searchResponses.leaves === 0 ? 0 : round(searchResponses.leafResults / searchResponses.leaves, 1),
        emptyLeaves: searchResponses.emptyLeaves,
        leaves: searchResponses.leaves,
        resultsPerIssueBucket:
          bounds.issueBuckets === 0 ? 0 : round(searchResponses.leafResults / bounds.issueBuckets, 2),
        splits: exported.splits,
      },
      exact:
        exported.status === 'complete' &&
        verification.matched === verification.expected &&
        verification.missing +
          verification.wrongTotals +
          verification.unexpected +
          verification.duplicateRows ===
          0,
      verification,
      status: exported.status,
      rows: exported.rows,
      exportWallSeconds: round(exported.wallMs / 1000, 1),
      exporterPeakRssMB: toMegabytes(exported.peakRssBytes),
      simulatorPeakRssMB: toMegabytes(simulator.peakRssBytes),
      exporterMemoryAtEndMB: {
        rss: toMegabytes(exported.memoryAtEnd.rssBytes),
        heapUsed: toMegabytes(exported.memoryAtEnd.heapUsedBytes),
        heapTotal: toMegabytes(exported.memoryAtEnd.heapTotalBytes),
        external: toMegabytes(exported.memoryAtEnd.externalBytes),
        parquetWasm: toMegabytes(exported.memoryAtEnd.parquetWasmBytes),
      },
      rssByRows: exported.rssByRows.map((sample) => ({
        rows: sample.rows,
        peakRssMB: toMegabytes(sample.peakRssBytes),
      })),
    };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

async function measureSeeds(shape: OrgShape): Promise<EnumerationResult> {
  const runs: EnumerationResult[] = [];
  for (const seed of [shape.org.seed ?? 1, ...(shape.seeds ?? [])])
    runs.push(await measureShape({ ...shape, org: { ...shape.org, seed } }));
  const reported = runs[0]!;
  const seedRuns = runs.map((run) => ({
    seed: run.org.seed,
    searches: run.searches,
    lowerBound: run.bounds.lowerBound,
    ratioToLowerBound: run.ratioToLowerBound,
    exact: run.exact,
  }));
  const ratios = seedRuns.flatMap((run) => (run.ratioToLowerBound === null ? [] : [run.ratioToLowerBound]));
  const total = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0);
  return {
    ...reported,
    exact: runs.every((run) => run.exact),
    seedRuns,
    spread:
      runs.length < 2 || ratios.length === 0
        ? null
        : {
            seeds: runs.length,
            meanRatio: round(total(ratios) / ratios.length, 2),
            bestRatio: Math.min(...ratios),
            worstRatio: Math.max(...ratios),
            // Some seed has a lower bound above zero, or `ratios` would be empty.
            pooledRatio: ratio(
              total(seedRuns.map((run) => run.searches)),
              total(seedRuns.map((run) => run.lowerBound)),
            )!,
            exact: runs.every((run) => run.exact),
          },
  };
}

export async function measureEnumeration(
  shapes: readonly OrgShape[],
  log: (line: string) => void,
): Promise<EnumerationResult[]> {
  const results: EnumerationResult[] = [];
  for (const shape of shapes) {
    log(`enumeration: ${shape.name}`);
    try {
      results.push(await measureSeeds(shape));
    } catch (error) {
      if (!shape.reduced) throw error;
      const reason = error instanceof Error ? error.message.split('\n')[0]! : String(error);
      log(`enumeration: ${shape.name} did not finish (${reason}); running ${shape.reduced.name}`);
      results.push({
        ...(await measureSeeds(shape.reduced)),
        reducedFrom: { shape: shape.name, reason },
      });
    }
    const last = results.at(-1)!;
    log(
      `  ${last.shape}: ${last.searches} searches, bounds ${last.bounds.lowerBound}/${last.bounds.perBucketBound}, ` +
        `exact ${last.exact}, ${last.rows} rows in ${last.exportWallSeconds} s` +
        (last.spread
          ? `; ${last.spread.seeds} seeds: mean ${last.spread.meanRatio}×, ${last.spread.bestRatio}–${last.spread.worstRatio}×, exact ${last.spread.exact}`
          : ''),
    );
  }
  return results;
}

const MIN_ROWS_FOR_SLOPE = 100_000;

export interface ExporterMemory {
  readonly shape: string;
  readonly rows: number;
  readonly exporterPeakRssMB: number;
  readonly simulatorPeakRssMB: number;
  /** Growth of the exporter's peak RSS per 100k rows over the second half of the run. */
  readonly slopeMBPer100kRows: number;
  /**
   * Peak RSS at one million rows if the second-half growth continued (a linear extrapolation); `null`
   * below 100k rows, where start-up dominates and a slope means nothing.
   */
  readonly extrapolatedPeakRssMBAt1M: number | null;
  readonly atEndMB: EnumerationResult['exporterMemoryAtEndMB'];
}

/** Section 3 reads the largest export's own peak RSS and how it grew along the run. */
export function exporterMemory(run: EnumerationResult): ExporterMemory {
  const samples = run.rssByRows;
  const half = samples.find((sample) => sample.rows >= run.rows / 2) ?? samples[0];
  const growthRows = run.rows - (half?.rows ?? 0);
  const slopePerRow =
    half && growthRows > 0 ? Math.max(0, (run.exporterPeakRssMB - half.peakRssMB) / growthRows) : 0;
  return {
    shape: run.shape,
    rows: run.rows,
    exporterPeakRssMB: run.exporterPeakRssMB,
    simulatorPeakRssMB: run.simulatorPeakRssMB,
    slopeMBPer100kRows: round(slopePerRow * 100_000, 1),
    atEndMB: run.exporterMemoryAtEndMB,
    extrapolatedPeakRssMBAt1M:
      run.rows < MIN_ROWS_FOR_SLOPE
        ? null
        : round(run.exporterPeakRssMB + slopePerRow * Math.max(0, 1_000_000 - run.rows), 0),
  };
}
