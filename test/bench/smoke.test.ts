/**
 * Runs `bench/run.ts --smoke` as `npm run bench -- --smoke` would, and checks that every section measured
 * something consistent. It tests the benchmark, not the targets: a missed target is a result, not a failure.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnumerationResult, ExporterMemory } from '../../bench/enumeration';
import type { LambdaPackageResult } from '../../bench/lambda-package';
import type { ParquetChildResult } from '../../bench/parquet-child';
import type { PacingResult } from '../../bench/rate-limit-pacing';
import type { TargetCheck } from '../../bench/report';
import type { StateStoreResult } from '../../bench/state-store';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface BenchReport {
  mode: string;
  targets: TargetCheck[];
  results: {
    enumeration: EnumerationResult[];
    memory: ExporterMemory;
    parquet: ParquetChildResult[];
    lambda: LambdaPackageResult;
    pacing: PacingResult;
    state: StateStoreResult;
  };
}

describe('npm run bench -- --smoke', () => {
  let directory: string;
  let report: BenchReport;
  let markdown: string;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'ete-bench-smoke-'));
    const outPath = join(directory, 'results.json');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'bench/run.ts', '--smoke', '--out', outPath],
      { cwd: PROJECT_ROOT, maxBuffer: 16 * 1024 * 1024 },
    );
    markdown = stdout;
    report = JSON.parse(await readFile(outPath, 'utf8')) as BenchReport;
  }, 180_000);

  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('prints a markdown table with one row per target', () => {
    expect(report.mode).toBe('smoke');
    expect(markdown).toContain('| Area | Measure | Result | Target | Status |');
    for (const target of report.targets)
      expect(markdown).toContain(`| ${target.area} | ${target.measure.replaceAll('|', '\\|')} |`);
  });

  it('exports a shape over several seeds and sums them up', () => {
    const sparse = report.results.enumeration.find((run) => run.shape === 'sparse')!;
    expect(sparse.seedRuns.map((run) => run.seed)).toEqual([7, 8]);
    expect(sparse.seedRuns[0]!.searches).toBe(sparse.searches);
    const searches = sparse.seedRuns.reduce((sum, run) => sum + run.searches, 0);
    const bounds = sparse.seedRuns.reduce((sum, run) => sum + run.lowerBound, 0);
    expect(sparse.spread).toMatchObject({
      seeds: 2,
      pooledRatio: Math.round((searches / bounds) * 100) / 100,
    });
    expect(sparse.spread!.bestRatio).toBeLessThanOrEqual(sparse.spread!.worstRatio);
    expect(markdown).toContain('| sparse | 7: ');
  });

  it('verifies every org shape against the ground truth and bounds its searches', () => {
    const shapes = report.results.enumeration.map((run) => run.shape);
    expect(shapes).toEqual(['sparse', 'bursty', 'dense', 'large']);
    for (const run of report.results.enumeration) {
      const { verification, bounds } = run;
      expect(verification.expected).toBe(bounds.issueBuckets);
      expect(verification.expected).toBeGreaterThan(0);
      expect(verification.matched + verification.missing + verification.wrongTotals).toBe(
        verification.expected,
      );
      expect(run.exact).toBe(
        verification.matched === verification.expected &&
          verification.unexpected === 0 &&
          verification.duplicateRows === 0 &&
          run.status === 'complete',
      );
      expect(bounds.lowerBound).toBe(Math.ceil(bounds.issueBuckets / 100));
      expect(bounds.perBucketBound).toBeGreaterThanOrEqual(bounds.lowerBound);
      expect(bounds.perBucketBound).toBeGreaterThanOrEqual(bounds.nonEmptyBuckets);
      expect(run.excess.saturatedSearches).toBeLessThanOrEqual(run.searches);
      expect(run.ratioToLowerBound).toBeCloseTo(run.searches / bounds.lowerBound, 2);
    }
  });

  it('reports the exporter and simulator memory of the largest export', () => {
    const { memory } = report.results;
    expect(memory.shape).toBe('large');
    expect(memory.exporterPeakRssMB).toBeGreaterThan(20);
    expect(memory.simulatorPeakRssMB).toBeGreaterThan(20);
    // A smoke export has far too few rows to extrapolate from.
    expect(memory.rows).toBeLessThan(100_000);
    expect(memory.extrapolatedPeakRssMBAt1M).toBeNull();
    expect(memory.atEndMB.parquetWasm).toBeGreaterThan(0);
  });

  it('encodes the same rows as DuckDB reads back and compares both files', () => {
    const [size] = report.results.parquet;
    expect(size?.rows).toBe(5_000);
    expect(size?.duckdbReadBackRows).toBe(5_000);
    expect(size?.encodeParquet.fileBytes).toBeGreaterThan(10_000);
    expect(size?.duckdbCopy.fileBytes).toBeGreaterThan(10_000);
    expect(size?.encodeParquet.rowsPerSecond).toBeGreaterThan(0);
  });

  it('bundles and imports the export function', () => {
    const { lambda } = report.results;
    expect(lambda.exports).toContain('handler');
    expect(lambda.bundleBytes).toBeGreaterThan(1_000);
    expect(lambda.wasmBytes).toBeGreaterThan(1_000_000);
    expect(lambda.initMs.runs).toHaveLength(2);
    expect(lambda.untranslatedOptions).toEqual([]);
    expect(lambda.initProfileMs.length).toBeGreaterThan(0);
  });

  it('paces a rate-limited backfill on the virtual clock over several periods', () => {
    const { pacing } = report.results;
    expect(pacing.status).toBe('complete');
    expect(pacing.exact).toBe(true);
    expect(pacing.fullPeriods).toBeGreaterThanOrEqual(2);
    // The limiter counts every request, so no full period can hold more than the limit.
    expect(pacing.requestsPerFullPeriod.max).toBeLessThanOrEqual(pacing.limit);
    expect(pacing.virtualSeconds).toBeGreaterThan(pacing.realSeconds);
  });

  it('saves and loads the state store', () => {
    const { state } = report.results;
    expect(state.issues).toBe(2_000);
    expect(state.saveMs.runs).toHaveLength(1);
    expect(state.loadMs.median).toBeGreaterThan(0);
  });
});
