import type { ErrorTrackingApi } from '../datadog/api';
import { DatadogApiError } from '../datadog/errors';
import type { IssueWire, SearchResponseWire, SearchResultWire } from '../datadog/types';
import type { Bucket } from './buckets';
import { type BucketPlan, measuredGrowth } from './density';
import { buildSearchQuery, describeFilter, type SearchFilter } from './query';
import { describeScope, type SearchScope } from './scope';
import { chooseSplit, isSaturated, type SearchWindow, SPLIT_KINDS, type SplitKind } from './split';

/** A window whose search came back under the cap, or one declared incomplete: its results are final. */
export interface LeafWindow {
  readonly from: number;
  readonly to: number;
  readonly filter: SearchFilter;
  readonly results: readonly SearchResultWire[];
}

export interface IncompleteWindow {
  readonly bucket_start: string;
  readonly from: string;
  readonly to: string;
  readonly scope: string;
  readonly query: string;
  readonly filter: string;
  readonly reason: string;
}

export interface BucketEnumeration {
  readonly bucket: Bucket;
  readonly scope: SearchScope;
  readonly leaves: readonly LeafWindow[];
  readonly searches: number;
  readonly splits: Record<SplitKind, number>;
  readonly incomplete: readonly IncompleteWindow[];
}

/** Callbacks through which the engine shares what the searches returned with the rest of the run. */
export interface EnumerationContext {
  readonly api: ErrorTrackingApi;
  /** Every search response passes through here, so its `included` objects can hydrate rows later. */
  readonly onResponse: (response: SearchResponseWire) => void;
  readonly issueOf: (issueId: string) => IssueWire | undefined;
  /** States seen so far in the run, including ones newer than this code knows. */
  readonly statesSeenInRun: ReadonlySet<string>;
  /** A bucket that needs more searches than this is declared incomplete rather than searched forever. */
  readonly maxSearchesPerBucket: number;
  /**
   * Split kinds the API refused during this run. The error-type facet is inferred from the event-search
   * syntax rather than documented for issue search, so a 400 on it retires it instead of failing the run.
   */
  readonly unavailableSplits: Set<SplitKind>;
}

/** Two saturated halves sharing this share of their issues are one set of issues erroring throughout. */
const CONTINUOUS_OVERLAP = 0.5;

function mostlyTheSameIssues(halves: readonly SearchResponseWire[]): boolean {
  const [first, second] = halves;
  if (!first || !second) return false;
  const firstIds = new Set(first.data.map((result) => result.id));
  const shared = second.data.filter((result) => firstIds.has(result.id)).length;
  return shared >= CONTINUOUS_OVERLAP * Math.min(first.data.length, second.data.length);
}

export function emptySplitCounts(): Record<SplitKind, number> {
  return Object.fromEntries(SPLIT_KINDS.map((kind) => [kind, 0])) as Record<SplitKind, number>;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Finds every issue with errors in one bucket of one scope, despite the search's cap of 100 results and
 * lack of a cursor: a saturated window is divided (see `chooseSplit`) until every part comes back under
 * the cap, or is declared incomplete when it cannot be divided.
 */
export async function enumerateBucket(
  context: EnumerationContext,
  scope: SearchScope,
  bucket: Bucket,
  plan: BucketPlan,
): Promise<BucketEnumeration> {
  const leaves: LeafWindow[] = [];
  const incomplete: IncompleteWindow[] = [];
  const splits = emptySplitCounts();
  let searches = 0;

  const search = async (window: SearchWindow): Promise<SearchResponseWire> => {
    searches += 1;
    const response = await context.api.searchIssues({
      query: buildSearchQuery(scope.query, window.filter),
      from: window.from,
      to: window.to,
      ...(scope.track ? { track: scope.track } : window.filter.track ? { track: window.filter.track } : {}),
      ...(scope.track ? {} : { persona: scope.persona ?? 'ALL' }),
      ...(window.filter.states ? { states: [...window.filter.states] } : {}),
      order_by: 'TOTAL_COUNT',
    });
    context.onResponse(response);
    return response;
  };

  const declareIncomplete = (window: SearchWindow, results: readonly SearchResultWire[], reason: string) => {
    leaves.push({ from: window.from, to: window.to, filter: window.filter, results });
    incomplete.push({
      bucket_start: iso(bucket.start),
      from: iso(window.from),
      to: iso(window.to),
      scope: describeScope(scope),
      query: buildSearchQuery(scope.query, window.filter),
      filter: describeFilter(window.filter),
      reason,
    });
  };

  const settle = async (window: SearchWindow, response: SearchResponseWire): Promise<void> => {
    if (!isSaturated(response.data.length)) {
      leaves.push({ from: window.from, to: window.to, filter: window.filter, results: response.data });
      return;
    }
    const split = chooseSplit(
      window,
      {
        results: response.data,
        serviceOf: (issueId) => context.issueOf(issueId)?.attributes.service,
        stateOf: (issueId) => context.issueOf(issueId)?.attributes.state,
        errorTypeOf: (issueId) => context.issueOf(issueId)?.attributes.error_type,
      },
      scope,
      context.statesSeenInRun,
      context.unavailableSplits,
    );
    if (!split) {
      declareIncomplete(
        window,
        response.data,
        `more than ${response.data.length - 1} issues in a window that cannot be split by time, service, track, error type or state`,
      );
      return;
    }
    if (searches + split.windows.length > context.maxSearchesPerBucket) {
      declareIncomplete(
        window,
        response.data,
        `search budget of ${context.maxSearchesPerBucket} per bucket exhausted`,
      );
      return;
    }
    let responses: SearchResponseWire[];
    try {
      responses = await Promise.all(split.windows.map(search));
    } catch (error) {
      if (split.kind !== 'error_type' || !(error instanceof DatadogApiError) || error.status !== 400)
        throw error;
      context.unavailableSplits.add('error_type');
      return settle(window, response);
    }
    splits[split.kind] += 1;
    // Halves that saturate with the same issues show those issues error throughout: facets come next.
    const continuous =
      split.kind === 'time' &&
      responses.every((part) => isSaturated(part.data.length)) &&
      mostlyTheSameIssues(responses);
    await Promise.all(
      split.windows.map((part, index) =>
        settle(continuous ? { ...part, timeDense: true } : part, responses[index]!),
      ),
    );
  };

  /**
   * A plan names error types only after the API accepted them, but should it refuse them after all, the
   * service's error-type windows of the whole bucket are searched as one window of the service instead.
   */
  const withoutErrorTypes = new Set<string>();
  const searchPlanned = async (
    window: SearchWindow,
  ): Promise<[SearchWindow, SearchResponseWire] | undefined> => {
    try {
      return [window, await search(window)];
    } catch (error) {
      const { includeErrorTypes, excludeErrorTypes, ...rest } = window.filter;
      const refused = error instanceof DatadogApiError && error.status === 400;
      const wholeBucket = window.from === bucket.start && window.to === bucket.end;
      if (!refused || !wholeBucket || (!includeErrorTypes && !excludeErrorTypes)) throw error;
      context.unavailableSplits.add('error_type');
      const key = JSON.stringify(rest);
      if (withoutErrorTypes.has(key)) return undefined;
      withoutErrorTypes.add(key);
      const merged = { ...window, filter: rest };
      return [merged, await search(merged)];
    }
  };
  const calibration = plan.calibration.map(({ expected: _expected, ...window }) => window);
  const measured = await Promise.all(calibration.map(searchPlanned));
  const growth = measuredGrowth(
    plan.calibration,
    measured.map((searched) => searched?.[1].data.length ?? 0),
  );
  const settlePlanned = async (searched: [SearchWindow, SearchResponseWire] | undefined) => {
    if (searched) await settle(...searched);
  };
  await Promise.all([
    ...measured.map(settlePlanned),
    ...plan.remaining(growth).map(async (window) => settlePlanned(await searchPlanned(window))),
  ]);
  return { bucket, scope, leaves, searches, splits, incomplete };
}
