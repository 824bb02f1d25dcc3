import { createHash, randomBytes } from 'node:crypto';
import pLimit from 'p-limit';
import type { ApiStats, ErrorTrackingApi } from './datadog/api';
import { aggregateLeaves } from './enumerate/aggregate';
import { alignedBuckets, type Bucket } from './enumerate/buckets';
import { ServiceDensityModel } from './enumerate/density';
import {
  type BucketEnumeration,
  emptySplitCounts,
  enumerateBucket,
  type IncompleteWindow,
  newPagingState,
  WHOLE_BUCKET_PAGED_UP_TO,
} from './enumerate/enumerate';
import type { CheckedFacet } from './enumerate/filter-check';
import { type HydrationStats, Hydrator } from './enumerate/hydrate';
import { epochMsOf, toIssueRow } from './enumerate/rows';
import { loadSavedPlans, savePlans } from './enumerate/saved-plan';
import { describeScope, type SearchScope } from './enumerate/scope';
import { anyUndocumentedState, MAX_SERVICES_EXCLUDED, type SplitKind } from './enumerate/split';
import {
  commitStateChanges,
  ObservationCollector,
  type StateSummary,
  type StateTrackingOptions,
} from './state-tracking';
import { type WrittenFile, writeIssueBucket } from './warehouse/issue-writer';
import { formatDuration } from './warehouse/layout';
import type { IssueRow } from './warehouse/schema';
import type { ObjectSink } from './warehouse/sink';

export interface ExportOptions {
  /** Epoch ms; widened down to a bucket boundary. */
  readonly from: number;
  /** Epoch ms, exclusive; widened up to a bucket boundary. */
  readonly to: number;
  readonly bucketMs: number;
  readonly scopes: readonly SearchScope[];
  readonly runId?: string;
  /**
   * Buckets searched at once. Each bucket's own searches already run in parallel through the client, and
   * one at a time lets every bucket start from what the bucket just before it taught. @default 1
   */
  readonly bucketConcurrency?: number;
  readonly maxSearchesPerBucket?: number;
  /** Epoch ms after which no new bucket is started, so a Lambda can commit before its timeout. */
  readonly stopStartingBucketsAt?: number;
  /**
   * Whether a window may be divided by `states`. The field accepts only the documented states, so a search
   * by state cannot find an issue in a newer one the run has not seen: checks make that unlikely, not
   * impossible. Without state splits, a window nothing else divides is divided by time and, failing that,
   * declared incomplete, so a complete run does not depend on every issue being in a documented state.
   * @default true
   */
  readonly stateSplits?: boolean;
  /**
   * Whether a window may be divided by `track`. The three tracks divide persona `ALL` only while every
   * issue is in one of them; a window whose tracks miss an issue it showed stops the run dividing by
   * track, but an issue in a newer track too quiet to show can still be missed. Without track splits a
   * complete run does not depend on the tracks staying three. @default true
   */
  readonly trackSplits?: boolean;
  /**
   * Whether a saturated window may be paged by issue id (`-@issue.id:(…)`), which the reference does not
   * document: a run pages only once a page has proved the API applies it, and stops on a refusal or a
   * page that returns an excluded issue. With `false` a run never relies on it. @default true
   */
  readonly issuePages?: boolean;
}

export interface ExportProgress {
  readonly bucketsDone: number;
  readonly bucketsTotal: number;
  readonly searches: number;
  readonly rows: number;
  readonly elapsedMs: number;
  readonly etaMs: number | null;
}

export interface ExportDependencies {
  readonly api: ErrorTrackingApi;
  readonly sink: ObjectSink;
  readonly now?: () => number;
  readonly onProgress?: (progress: ExportProgress) => void;
  /** Issue state tracking and change events; without it the run only exports issues. */
  readonly stateTracking?: StateTrackingOptions;
}

export type RunStatus = 'complete' | 'incomplete' | 'stopped';

export interface BucketSummary {
  readonly start: string;
  readonly searches: number;
  /** The bucket's share of the run's `searches_by_state`: non-zero marks a bucket that relied on them. */
  readonly searches_by_state: number;
  readonly issues: number;
  readonly complete: boolean;
}

/** The run manifest, written last to `_runs/<run_id>.json` as the commit marker of a run. */
export interface RunManifest {
  readonly run_id: string;
  readonly status: RunStatus;
  readonly started_at: string;
  readonly finished_at: string;
  readonly range: {
    readonly requested_from: string;
    readonly requested_to: string;
    readonly from: string;
    readonly to: string;
    /** End of the contiguous run of buckets, from the start, that were exported. */
    readonly exported_through: string;
  };
  readonly bucket: string;
  readonly scope: { readonly id: string; readonly query: string; readonly searches: readonly string[] };
  readonly buckets: {
    readonly total: number;
    readonly exported: number;
    readonly complete: number;
    readonly incomplete: number;
    readonly not_started: number;
    readonly detail: readonly BucketSummary[];
  };
  readonly searches: number;
  /** Scopes whose first bucket was planned from what the previous run saved, rather than discovered. */
  readonly plans_loaded: number;
  /**
   * Searches that named `states` (only where time could not divide issues erring all hour): each could miss
   * an issue in a state newer than the documented five that the run had not seen yet.
   */
  readonly searches_by_state: number;
  readonly splits: Record<SplitKind, number>;
  /**
   * Splits the run did without: turned off (`stateSplits`, `trackSplits`, `issuePages`) or given up when
   * the API refused or misapplied a facet, showed a state the `states` field does not accept, an issue in
   * no track, or did not read `@issue.id` as a page needs.
   */
  readonly splits_not_used: readonly SplitKind[];
  readonly incomplete_windows: readonly IncompleteWindow[];
  readonly rows: number;
  readonly files: readonly WrittenFile[];
  readonly api: ApiStats;
  readonly hydration: HydrationStats;
  readonly state: StateSummary | null;
  readonly durations_ms: { readonly total: number; readonly search: number; readonly write: number };
}

const DEFAULT_MAX_SEARCHES_PER_BUCKET = 5_000;

export function newRunId(now: number): string {
  const stamp = new Date(now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/**
 * Identifies what was searched. It names the Parquet files, so a re-run of the same scope overwrites its
 * own files while an export of a different query into the same warehouse cannot overwrite them.
 */
export function scopeId(scopes: readonly SearchScope[]): string {
  const canonical = JSON.stringify(
    scopes.map((scope) => [scope.query.trim() || '*', scope.persona ?? null, scope.track ?? null]),
  );
  return createHash('sha256').update(canonical).digest('hex').slice(0, 10);
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Runs one export from search to Parquet to manifest. The CLI, the Lambda and the backfill all call this. */
export async function runExport(
  options: ExportOptions,
  dependencies: ExportDependencies,
): Promise<RunManifest> {
  const now = dependencies.now ?? Date.now;
  const startedAt = now();
  const runId = options.runId ?? newRunId(startedAt);
  const { api, sink } = dependencies;
  const buckets = alignedBuckets(options.from, options.to, options.bucketMs);
  const id = scopeId(options.scopes);
  const loadedState = await dependencies.stateTracking?.store.load();
  const observations = new ObservationCollector();
  const hydrator = new Hydrator(api);
  const density = new ServiceDensityModel();
  const provenFacets = new Set<CheckedFacet>();
  const savedPlans = await loadSavedPlans(sink, id, options.scopes, options.bucketMs, density, provenFacets);
  const splits = emptySplitCounts();
  const incompleteWindows: IncompleteWindow[] = [];
  const files: WrittenFile[] = [];
  const summaries = new Map<number, BucketSummary>();
  let searches = 0;
  let searchesByState = 0;
  let rowsWritten = 0;
  let searchMs = 0;
  let writeMs = 0;

  const reportProgress = () => {
    const elapsedMs = now() - startedAt;
    const done = summaries.size;
    dependencies.onProgress?.({
      bucketsDone: done,
      bucketsTotal: buckets.length,
      searches,
      rows: rowsWritten,
      elapsedMs,
      etaMs: done === 0 ? null : Math.round((elapsedMs / done) * (buckets.length - done)),
    });
  };

  const unavailableSplits = new Set<SplitKind>([
    ...(options.stateSplits === false ? (['states'] as const) : []),
    ...(options.trackSplits === false ? (['track'] as const) : []),
    ...(options.issuePages === false ? (['page'] as const) : []),
  ]);
  const probes = new Map<string, Promise<void> | 'done'>();
  const maxExcludedServices = { value: MAX_SERVICES_EXCLUDED };
  const longestAcceptedQuery = { value: 0 };
  const paging = newPagingState();
  const planOf = (scope: SearchScope, bucket: Bucket, statesSupported: boolean) =>
    density.plan(
      scope,
      bucket,
      hydrator.states,
      statesSupported,
      provenFacets.has('error_type'),
      maxExcludedServices.value,
      paging.proven && !unavailableSplits.has('page') ? WHOLE_BUCKET_PAGED_UP_TO : 0,
    );
  const exportBucket = async (bucket: Bucket): Promise<void> => {
    const searchStarted = now();
    const bucketHydrator = hydrator.forBucket();
    const enumerations: BucketEnumeration[] = [];
    for (const scope of options.scopes) {
      enumerations.push(
        await enumerateBucket(
          {
            api,
            onResponse: (response) => bucketHydrator.addIncluded(response.included),
            issueOf: (issueId) => bucketHydrator.issueOf(issueId),
            statesSeenInRun: hydrator.states,
            maxSearchesPerBucket: options.maxSearchesPerBucket ?? DEFAULT_MAX_SEARCHES_PER_BUCKET,
            unavailableSplits,
            probes,
            provenFacets,
            maxExcludedServices,
            longestAcceptedQuery,
            paging,
          },
          scope,
          bucket,
          planOf(scope, bucket, !unavailableSplits.has('states')),
          () => planOf(scope, bucket, false),
        ),
      );
    }
    const complete = enumerations.every((enumeration) => enumeration.incomplete.length === 0);
    const rows: IssueRow[] = [];
    for (const enumeration of enumerations) {
      const counts = aggregateLeaves(bucket, enumeration.leaves);
      const hydrated = await Promise.all(counts.map((entry) => bucketHydrator.hydrate(entry.issueId)));
      counts.forEach((entry, index) => {
        const row = toIssueRow(entry, hydrated[index]!, {
          bucket,
          scope: enumeration.scope,
          runId,
          exportedAt: startedAt,
          bucketComplete: complete,
        });
        rows.push(row);
      });
      if (enumeration.incomplete.length === 0) {
        density.record(
          enumeration.scope,
          bucket,
          enumeration.leaves,
          (issueId) => {
            const attributes = bucketHydrator.issueOf(issueId)?.attributes;
            // Only plans read these, so a malformed one is ignored rather than an error.
            const time = (value: unknown) => epochMsOf(value) ?? undefined;
            return {
              service: attributes?.service,
              errorType: attributes?.error_type,
              state: attributes?.state,
              firstSeen: time(attributes?.first_seen),
              lastSeen: time(attributes?.last_seen),
            };
          },
          !unavailableSplits.has('error_type'),
        );
      }
      searches += enumeration.searches;
      searchesByState += enumeration.searchesByState;
      for (const [kind, count] of Object.entries(enumeration.splits)) splits[kind as SplitKind] += count;
      incompleteWindows.push(...enumeration.incomplete);
    }
    searchMs += now() - searchStarted;

    const writeStarted = now();
    files.push(
      ...(await writeIssueBucket(sink, rows, {
        bucketStart: bucket.start,
        bucketMs: options.bucketMs,
        scopeId: id,
      })),
    );
    // Only state tracking reads them, and a long export's issues add up.
    if (dependencies.stateTracking) for (const row of rows) observations.add(row);
    writeMs += now() - writeStarted;
    rowsWritten += rows.length;
    summaries.set(bucket.start, {
      start: iso(bucket.start),
      searches: enumerations.reduce((sum, enumeration) => sum + enumeration.searches, 0),
      searches_by_state: enumerations.reduce((sum, enumeration) => sum + enumeration.searchesByState, 0),
      issues: rows.length,
      complete,
    });
    reportProgress();
  };

  const shouldStart = () =>
    options.stopStartingBucketsAt === undefined || now() < options.stopStartingBucketsAt;
  const [first, ...rest] = buckets;
  // The first bucket runs alone so that every later bucket starts from what it taught about services.
  if (first && shouldStart()) await exportBucket(first);
  const limit = pLimit(Math.max(1, options.bucketConcurrency ?? 1));
  await Promise.all(
    rest.map((bucket) => limit(async () => (shouldStart() ? exportBucket(bucket) : undefined))),
  );

  let exportedThrough = buckets[0]?.start ?? options.from;
  for (const bucket of buckets) {
    if (!summaries.has(bucket.start)) break;
    exportedThrough = bucket.end;
  }
  const detail = buckets.flatMap((bucket) => summaries.get(bucket.start) ?? []);
  const state =
    dependencies.stateTracking && loadedState
      ? await commitStateChanges({
          options: dependencies.stateTracking,
          loaded: loadedState,
          collector: observations,
          api,
          hydrator,
          sink,
          runId,
          observedAt: startedAt,
          exportedThrough: first && summaries.has(first.start) ? exportedThrough : null,
          stoppedEarly: detail.length < buckets.length,
        })
      : null;
  const notStarted = buckets.length - detail.length;
  await savePlans(sink, id, options.scopes, options.bucketMs, density, provenFacets);
  const finishedAt = now();
  const manifest: RunManifest = {
    run_id: runId,
    status: notStarted > 0 ? 'stopped' : incompleteWindows.length > 0 ? 'incomplete' : 'complete',
    started_at: iso(startedAt),
    finished_at: iso(finishedAt),
    range: {
      requested_from: iso(options.from),
      requested_to: iso(options.to),
      from: iso(buckets[0]?.start ?? options.from),
      to: iso(buckets.at(-1)?.end ?? options.to),
      exported_through: iso(exportedThrough),
    },
    bucket: formatDuration(options.bucketMs),
    scope: {
      id,
      query: options.scopes[0]?.query ?? '*',
      searches: options.scopes.map(describeScope),
    },
    buckets: {
      total: buckets.length,
      exported: detail.length,
      complete: detail.filter((bucket) => bucket.complete).length,
      incomplete: detail.filter((bucket) => !bucket.complete).length,
      not_started: notStarted,
      detail,
    },
    searches,
    plans_loaded: savedPlans,
    searches_by_state: searchesByState,
    splits,
    splits_not_used: [
      ...new Set<SplitKind>([
        ...unavailableSplits,
        ...(anyUndocumentedState(hydrator.states) ? (['states'] as const) : []),
      ]),
    ].sort(),
    incomplete_windows: incompleteWindows,
    rows: rowsWritten,
    files: files.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
    api: { ...api.stats },
    hydration: { ...hydrator.fetched },
    state,
    durations_ms: { total: finishedAt - startedAt, search: searchMs, write: writeMs },
  };
  await sink.put(
    `_runs/${runId}.json`,
    new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`),
    'application/json',
  );
  return manifest;
}
