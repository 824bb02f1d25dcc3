/**
 * Section 5: a long backfill against a rate-limited simulator, on a virtual clock (see virtual-clock.ts)
 * shared by the client, the simulator's limiter and the pipeline. The pacing code and HTTP are real; only
 * the waiting is skipped. Every request is logged with its virtual send time and status.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatadogClient } from '../lib/datadog/client';
import type { FetchFunction } from '../lib/datadog/http';
import { runExport } from '../lib/pipeline';
import {
  DEFAULT_API_KEY,
  DEFAULT_APP_KEY,
  generateOrg,
  type OrgOptions,
  type RateLimitOptions,
  startSimulator,
} from '../lib/simulator';
import { compareWithGroundTruth } from '../lib/simulator/verify';
import { openWarehouse } from '../lib/warehouse/duckdb';
import { createLocalSink } from '../lib/warehouse/local-sink';
import { median, round } from './stats';
import { createVirtualClock } from './virtual-clock';

const HOUR = 3_600_000;

export interface PacingOptions {
  readonly org: OrgOptions;
  readonly rateLimit: RateLimitOptions;
  /** The virtual clock starts this long after the org's range, off a period boundary like a real run. */
  readonly startOffsetMs: number;
}

export interface PacingResult {
  readonly days: number;
  readonly issues: number;
  readonly limit: number;
  readonly periodSeconds: number;
  readonly requests: number;
  readonly rateLimited: number;
  readonly rateLimitedInFirstPeriod: number;
  readonly rateLimitedAfterFirstPeriod: number;
  /** Periods strictly between the first and the last, which the run used from start to end. */
  readonly fullPeriods: number;
  readonly requestsPerFullPeriod: { readonly min: number; readonly median: number; readonly max: number };
  readonly sustainedPercentOfLimit: number;
  readonly virtualSeconds: number;
  /** Requests ÷ allowed rate: no client can finish these requests sooner. */
  readonly floorSeconds: number;
  readonly ratioToFloor: number;
  /**
   * The floor for calendar-aligned periods: the first (partial) period already allows a full `limit`, so
   * request N can go at the start of period ceil(N / limit) - 1 at the earliest.
   */
  readonly alignedFloorSeconds: number;
  readonly realSeconds: number;
  readonly status: string;
  readonly rows: number;
  readonly exact: boolean;
  readonly throttledVirtualSeconds: number;
}

/** Mulberry32: reproducible jitter, so two runs of the benchmark make the same waits. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export async function measurePacing(options: PacingOptions): Promise<PacingResult> {
  const org = generateOrg(options.org);
  const clock = createVirtualClock(org.to + options.startOffsetMs);
  const simulator = await startSimulator({ org, rateLimit: options.rateLimit, now: clock.now });
  const outDir = await mkdtemp(join(tmpdir(), 'ete-bench-pacing-'));
  const log: Array<{ sentAt: number; status: number }> = [];
  const trackedFetch = clock.trackFetch(globalThis.fetch as FetchFunction);
  const loggingFetch: FetchFunction = async (input, init) => {
    const sentAt = clock.now();
    const response = await trackedFetch(input, init);
    log.push({ sentAt, status: response.status });
    return response;
  };
  try {
    const api = createDatadogClient({
      baseUrl: simulator.url,
      apiKey: DEFAULT_API_KEY,
      appKey: DEFAULT_APP_KEY,
      concurrency: 4,
      fetch: loggingFetch,
      now: clock.now,
      sleep: clock.sleep,
      random: seededRandom(7),
    });
    const realStarted = performance.now();
    const virtualStarted = clock.now();
    const manifest = await runExport(
      { from: org.from, to: org.to, bucketMs: HOUR, scopes: [{ query: '*', persona: 'ALL' }] },
      { api, sink: createLocalSink(outDir), now: clock.now },
    );
    const virtualMs = clock.now() - virtualStarted;
    const realMs = performance.now() - realStarted;

    const periodMs = options.rateLimit.periodSeconds * 1000;
    const periodOf = (at: number) => Math.floor(at / periodMs);
    const perPeriod = new Map<number, number>();
    for (const entry of log)
      perPeriod.set(periodOf(entry.sentAt), (perPeriod.get(periodOf(entry.sentAt)) ?? 0) + 1);
    const firstPeriod = periodOf(log[0]?.sentAt ?? virtualStarted);
    const lastPeriod = periodOf(log.at(-1)?.sentAt ?? virtualStarted);
    const fullPeriodCounts: number[] = [];
    for (let period = firstPeriod + 1; period < lastPeriod; period++)
      fullPeriodCounts.push(perPeriod.get(period) ?? 0);
    const rateLimited = log.filter((entry) => entry.status === 429);
    const inFirst = rateLimited.filter((entry) => periodOf(entry.sentAt) === firstPeriod).length;
    const allowedPerMs = options.rateLimit.limit / periodMs;
    const sustained =
      fullPeriodCounts.length === 0
        ? log.length / (virtualMs * allowedPerMs)
        : fullPeriodCounts.reduce((sum, count) => sum + count, 0) /
          (fullPeriodCounts.length * options.rateLimit.limit);

    const warehouse = await openWarehouse(outDir);
    const comparison = await (async () => {
      try {
        return await compareWithGroundTruth(
          warehouse,
          simulator.groundTruth({ from: org.from, to: org.to, bucketMs: HOUR }),
          { from: org.from, to: org.to },
        );
      } finally {
        warehouse.close();
      }
    })();
    const floorMs = log.length / allowedPerMs;
    const firstPeriodEnd = (firstPeriod + 1) * periodMs;
    const periodsNeeded = Math.ceil(log.length / options.rateLimit.limit);
    const alignedFloorMs =
      periodsNeeded <= 1 ? 0 : firstPeriodEnd - virtualStarted + (periodsNeeded - 2) * periodMs;
    return {
      days: round((org.to - org.from) / (24 * HOUR), 1),
      issues: org.issues.length,
      limit: options.rateLimit.limit,
      periodSeconds: options.rateLimit.periodSeconds,
      requests: log.length,
      rateLimited: rateLimited.length,
      rateLimitedInFirstPeriod: inFirst,
      rateLimitedAfterFirstPeriod: rateLimited.length - inFirst,
      fullPeriods: fullPeriodCounts.length,
      requestsPerFullPeriod: {
        min: Math.min(...fullPeriodCounts),
        median: median(fullPeriodCounts),
        max: Math.max(...fullPeriodCounts),
      },
      sustainedPercentOfLimit: round(sustained * 100, 1),
      virtualSeconds: round(virtualMs / 1000, 0),
      floorSeconds: round(floorMs / 1000, 0),
      ratioToFloor: round(virtualMs / floorMs, 3),
      alignedFloorSeconds: round(alignedFloorMs / 1000, 0),
      realSeconds: round(realMs / 1000, 1),
      status: manifest.status,
      rows: manifest.rows,
      exact:
        manifest.status === 'complete' &&
        comparison.matched === comparison.expected &&
        comparison.missing.length + comparison.wrongTotals.length + comparison.unexpected.length === 0 &&
        comparison.duplicateRows === 0,
      throttledVirtualSeconds: round(manifest.api.throttledMs / 1000, 0),
    };
  } finally {
    await simulator.close();
    await rm(outDir, { recursive: true, force: true });
  }
}
