import type { ErrorTrackingApi } from '../datadog/api';
import { DatadogApiError, DatadogMalformedResponseError } from '../datadog/errors';
import type {
  IncludedWire,
  IssueWire,
  OrderBy,
  SearchResponseWire,
  SearchResultWire,
} from '../datadog/types';
import type { Bucket } from './buckets';
import { type BucketPlan, wholeBucketPlan } from './density';
import { discoverBucket } from './discovery';
import { type ErrorTypeObservation, planByErrorType, withoutErrorTypes } from './error-type-plan';
import {
  BucketSightings,
  type CheckedFacet,
  checkResultsMatchFilter,
  SearchFacetMisappliedError,
  shownInNoTrack,
  suspectFacet,
  UnknownTrackError,
} from './filter-check';
import { buildSearchQuery, describeFilter, type SearchFilter } from './query';
import { describeScope, type SearchScope } from './scope';
import { searchPlan } from './search-plan';
import {
  anyUndocumentedState,
  chooseSplit,
  clausesOf,
  halvesOf,
  isSaturated,
  MAX_SERVICES_PER_QUERY,
  mentionsErrorTypes,
  type SaturatedResult,
  type SearchWindow,
  SPLIT_KINDS,
  type SplitKind,
  trackSplit,
  withClauses,
} from './split';

/** A window whose search came back under the cap, or one declared incomplete: its results are final. */
export interface LeafWindow {
  readonly from: number;
  readonly to: number;
  readonly filter: SearchFilter;
  readonly results: readonly SearchResultWire[];
  /** Divided from a window whose issues err throughout it, which time halves could not divide. */
  readonly timeDense?: boolean;
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
  /**
   * Searches that named `states`: they cannot find an issue in a state newer than the documented ones,
   * which no search of the run had shown when they were made.
   */
  readonly searchesByState: number;
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
  /**
   * Windows' issues probed in this run, or being probed: for undocumented states before their first
   * division by state (keyed by `issuesDividedByState`; a division by state waits for its probe), and,
   * keyed `track <filter>`, for issues in no track before their first division by track (`probeTracks`).
   */
  readonly probes: Map<string, Promise<void> | 'done'>;
  /**
   * Facets some search of this run proved the API applies as named, by returning an issue an earlier
   * search of its bucket showed (see `BucketSightings`). Until then, a plan naming one is checked.
   */
  readonly provenFacets: Set<CheckedFacet>;
  /**
   * Services a remainder query may exclude in this run: `MAX_SERVICES_EXCLUDED` until the API refuses a
   * remainder as too long, then half as many as it excluded (see `RemainderRefusedError`).
   */
  readonly maxExcludedServices: { value: number };
  /** The longest query the API has accepted in this run (see `LONG_QUERY`). */
  readonly longestAcceptedQuery: { value: number };
  /** What the run has learnt of paging saturated windows by issue id (see `pageThrough`). */
  readonly paging: PagingState;
}

/**
 * Paging a saturated window (`-@issue.id:(the issues it returned)`) relies on a term the reference does
 * not document, so a run trusts it only once a page has returned issues, none of them excluded: an API
 * whose negated term matches nothing returns empty pages, which would otherwise end every window at its
 * first 100 issues. A run that gets such doubtful empty pages twice stops paging.
 */
export interface PagingState {
  proven: boolean;
  doubtfulEmptyPages: number;
  /** Issues a page may exclude: lower once the API refused a longer list. */
  mostExcluded: number;
}

/** About 40 characters of query each: 300 make a query of about 12,000 characters. */
export const MOST_ISSUES_EXCLUDED = 300;
const FEWEST_ISSUES_EXCLUDED = 100;
/**
 * A bucket expected to hold at most this many issues is searched whole and paged, once paging is proven:
 * three searches, with room for a bucket half again as busy before a page would exclude too many.
 */
export const WHOLE_BUCKET_PAGED_UP_TO = 250;
/** A first bucket, of unknown size, is paged once at most before it is sampled. */
const FIRST_BUCKET_ISSUES_EXCLUDED = 100;
const DOUBTFUL_EMPTY_PAGES = 2;

export function newPagingState(): PagingState {
  return { proven: false, doubtfulEmptyPages: 0, mostExcluded: MOST_ISSUES_EXCLUDED };
}

/**
 * The API documents no limit on a query's length, so it may have one. A search it refuses (400) whose
 * query is longer than this and than any it has accepted in the run is searched again as two halves
 * (`halvesOf`), which between them select the same issues: a plan naming 200 services (about 3,600
 * characters) against an API refusing queries over 2,000 failed the export before. Shorter queries
 * refused are taken to name a facet the API does not support.
 */
const LONG_QUERY = 1000;
/** A remainder refused as too long excludes half as many services next time, down to this many. */
const FEWEST_SERVICES_EXCLUDED = 10;

/** The answers of searches that together select a window's issues, as one answer for the window. */
function mergedResponse(parts: readonly SearchResponseWire[], orderBy: OrderBy): SearchResponseWire {
  const results = new Map<string, SearchResultWire>();
  const included = new Map<string, IncludedWire>();
  for (const part of parts) {
    for (const result of part.data) if (!results.has(result.id)) results.set(result.id, result);
    for (const object of part.included ?? []) included.set(`${object.type}:${object.id}`, object);
  }
  const data = [...results.values()];
  // Ranked by count, as one search would have answered; other rankings do not merge, so stay per part.
  if (orderBy === 'TOTAL_COUNT')
    data.sort((a, b) => (b.attributes.total_count ?? 0) - (a.attributes.total_count ?? 0));
  return { data, included: [...included.values()] };
}

/**
 * The API refused the search's query: a 400, as it answers a facet it does not support, or a server
 * error on every retry, as an API that fails on what it cannot parse answers instead. The second may
 * also be an outage; taking it for a refusal then only gives up a facet for the run (searches that name
 * nothing doubtful still fail and stop the export), never data.
 */
function refusedByApi(error: unknown): boolean {
  if (!(error instanceof DatadogApiError) || error instanceof DatadogMalformedResponseError) return false;
  return error.status === 400 || (error.status !== undefined && error.status >= 500);
}

/** Facets a run can stop using when the API turns out not to support them; every division needs the rest. */
type DroppableFacet = 'error_type' | 'states' | 'track';

/** The API refused a search naming the facet (400), or accepted the facet without applying it. */
function facetUnusable(facet: DroppableFacet, error: unknown): boolean {
  // A refusal of a search naming a track is told apart where it is caught (see `TrackRefusedError`).
  if (facet === 'track') return error instanceof TrackRefusedError;
  return refusedByApi(error) || (error instanceof SearchFacetMisappliedError && error.facet === facet);
}

/** The facet a planned search named that the API turned out not to support. */
class PlanRefusedError extends Error {
  constructor(readonly facet: DroppableFacet) {
    super(`the API does not support the ${facet} facet`);
  }
}

/**
 * The API refused (400) a search that divided its window by track and named no other facet it might
 * not support: the run stops dividing by track, as it does for error types and states refused.
 */
class TrackRefusedError extends Error {
  constructor(override readonly cause: unknown) {
    super('the API refused a search naming a track');
  }
}

/**
 * The API refused (400) a search ranked other than by count, which only checks a division by state or by
 * track: an API that ranks by count alone cannot be checked so, and the run stops dividing by that facet.
 */
class RankingRefusedError extends Error {
  constructor(
    readonly facet: 'states' | 'track',
    readonly orderBy: OrderBy,
  ) {
    super(`the API refused searches ranked by ${orderBy}, which check a division by ${facet}`);
  }
}

/**
 * The API refused (400) a search whose only doubtful part was a remainder excluding more services than a
 * plan ever names, or a remainder longer than any query it accepted (see `LONG_QUERY`): the API documents
 * no limit on a query's length, so it may have one. Halving cannot shorten a remainder (each half would
 * select more), so the bucket starts over with remainders excluding half as many services, down to
 * `FEWEST_SERVICES_EXCLUDED`.
 */
class RemainderRefusedError extends Error {
  constructor(
    readonly excluded: number,
    override readonly cause: unknown,
  ) {
    super(`the API refused a search excluding ${excluded} services`);
  }
}

function servicesExcludedBy(filter: SearchFilter): number {
  return clausesOf(filter).reduce((sum, clause) => sum + (clause.excludeServices?.length ?? 0), 0);
}

/** The filters of a plan's searches: its fixed windows and each piece searched alone. */
function plannedFilters(plan: BucketPlan): SearchFilter[] {
  return [...plan.fixed, ...plan.pieces.map((_, piece) => plan.windowOf([piece]))].map(
    (window) => window.filter,
  );
}

/** The facets a plan's searches would name that the API may not apply. */
function facetsNamedBy(plan: BucketPlan): Set<'error_type' | 'states'> {
  const filters = plannedFilters(plan);
  const named = new Set<'error_type' | 'states'>();
  if (filters.some(mentionsErrorTypes)) named.add('error_type');
  if (filters.some((filter) => filter.states)) named.add('states');
  return named;
}

/** The facets a plan's searches would name that a run may give up: those above, and tracks. */
function droppableFacetsNamedBy(plan: BucketPlan): Set<DroppableFacet> {
  const named: Set<DroppableFacet> = facetsNamedBy(plan);
  if (plannedFilters(plan).some((filter) => filter.track !== undefined)) named.add('track');
  return named;
}

/**
 * The services a plan divides by state, when every search naming states names its services; `undefined`
 * when one does not (the check for new issues then searches every service).
 */
function servicesDividedByState(plan: BucketPlan): string[] | undefined {
  const byState = plannedFilters(plan).filter((filter) => filter.states);
  if (byState.some((filter) => !filter.includeServices || filter.anyOf)) return undefined;
  return [...new Set(byState.flatMap((filter) => filter.includeServices ?? []))].sort();
}

/** The facet a failed bucket can do without, when that is why it failed. */
function droppableFacetOf(failure: unknown): DroppableFacet | undefined {
  if (failure instanceof PlanRefusedError || failure instanceof RankingRefusedError) return failure.facet;
  if (failure instanceof TrackRefusedError || failure instanceof UnknownTrackError) return 'track';
  // A search below a planned one (a time window of an error type, say) can be the first to show it.
  if (failure instanceof SearchFacetMisappliedError && failure.facet !== 'service') return failure.facet;
  return undefined;
}

/**
 * A window about to be divided by state is first probed in every state over this share of its length,
 * then a share of that when the probe saturates, at most this many times.
 */
const STATE_PROBE_SHARE = 16;
const STATE_PROBE_ATTEMPTS = 3;
/**
 * The rankings other than by count that a whole window is probed in before its first division by state
 * or track. Without them, a dense service of 250 issues, two of them in an undocumented state and quiet,
 * lost those two in every bucket.
 */
const PROBE_ORDERS: readonly OrderBy[] = ['FIRST_SEEN', 'IMPACTED_SESSIONS', 'PRIORITY'];

/** What a window divided by state holds, whatever its time range and states: probed once per run. */
function issuesDividedByState(window: SearchWindow): string {
  const { states: _states, ...facets } = window.filter;
  return describeFilter(facets);
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
 * Waits for every piece of work and throws the first failure: a bucket that starts over must not receive
 * a piece's leaves after it has.
 */
async function allOrFirstFailure(work: readonly Promise<void>[]): Promise<void> {
  const failed = (await Promise.allSettled(work)).find((outcome) => outcome.status === 'rejected');
  if (failed) throw failed.reason;
}

/** How an incomplete window's reason names a split the run could not use. */
const SPLIT_NAMES: Record<SplitKind, string> = {
  time: 'time',
  service: 'service',
  track: 'track',
  error_type: 'error type',
  states: 'state',
  page: 'issue id',
};

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
  /** The bucket's plan made again without dividing by state, should the API not support `states`. */
  planWithoutStates?: () => BucketPlan,
): Promise<BucketEnumeration> {
  const leaves: LeafWindow[] = [];
  const incomplete: IncompleteWindow[] = [];
  const splits = emptySplitCounts();
  let searches = 0;
  let searchesByState = 0;
  const sightings = new BucketSightings();
  const budgetExhausted = `search budget of ${context.maxSearchesPerBucket} per bucket exhausted`;

  const longerThanAccepted = (query: string) =>
    query.length > Math.max(LONG_QUERY, context.longestAcceptedQuery.value);
  const searchAsNamed = async (
    window: SearchWindow,
    orderBy: OrderBy = 'TOTAL_COUNT',
  ): Promise<SearchResponseWire> => {
    const track = scope.track ?? window.filter.track;
    const query = buildSearchQuery(scope.query, window.filter);
    const ask = async () => {
      searches += 1;
      if (window.filter.states) searchesByState += 1;
      const response = await context.api
        .searchIssues({
          query,
          from: window.from,
          to: window.to,
          // A track split only divides persona ALL, so the track alone says the same, in the form the
          // reference's own example uses.
          ...(track ? { track } : { persona: scope.persona ?? 'ALL' }),
          ...(window.filter.states ? { states: [...window.filter.states] } : {}),
          order_by: orderBy,
        })
        .catch((error: unknown) => {
          const excluded = servicesExcludedBy(window.filter);
          const onlyServicesDoubtful =
            refusedByApi(error) && suspectFacet(window.filter, context.provenFacets) === 'service';
          const longRemainder =
            onlyServicesDoubtful &&
            excluded > FEWEST_SERVICES_EXCLUDED &&
            (excluded > MAX_SERVICES_PER_QUERY || longerThanAccepted(query));
          if (longRemainder) throw new RemainderRefusedError(excluded, error);
          const trackRefused =
            onlyServicesDoubtful &&
            !scope.track &&
            window.filter.track !== undefined &&
            !longerThanAccepted(query);
          throw trackRefused ? new TrackRefusedError(error) : error;
        });
      context.longestAcceptedQuery.value = Math.max(context.longestAcceptedQuery.value, query.length);
      context.onResponse(response);
      checkResultsMatchFilter(window.filter, response);
      return response;
    };
    const observe = (response: SearchResponseWire) => {
      const proven = sightings.observe(
        window,
        track,
        response,
        (issueId) => context.issueOf(issueId)?.attributes,
        context.provenFacets,
      );
      for (const facet of proven) context.provenFacets.add(facet);
      return response;
    };
    const response = await ask();
    try {
      return observe(response);
    } catch (error) {
      // An issue can drop out of one answer (merged into another meanwhile, say); a facet the API reads
      // differently leaves it out of every answer. So one more search decides.
      if (!(error instanceof SearchFacetMisappliedError) || error.finding !== 'missing') throw error;
      return observe(await ask());
    }
  };
  /** Searches a window, as two halves one after the other should the API refuse its query as too long. */
  const search = async (
    window: SearchWindow,
    orderBy: OrderBy = 'TOTAL_COUNT',
  ): Promise<SearchResponseWire> => {
    try {
      return await searchAsNamed(window, orderBy);
    } catch (error) {
      const refusal = error instanceof RemainderRefusedError ? error.cause : error;
      const tooLong =
        refusedByApi(refusal) && longerThanAccepted(buildSearchQuery(scope.query, window.filter));
      const halves = tooLong ? halvesOf(window.filter) : undefined;
      if (!halves) throw error;
      const parts: SearchResponseWire[] = [];
      for (const filter of halves) parts.push(await search({ ...window, filter }, orderBy));
      return mergedResponse(parts, orderBy);
    }
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

  const undocumentedStateSeen = () => anyUndocumentedState(context.statesSeenInRun);
  /**
   * A plan to search as it is, unless it names a facet the run has given up (a track after an issue in
   * none; error types refused while this bucket's plan made without states still names them).
   */
  const usable = (candidate: BucketPlan) =>
    [...droppableFacetsNamedBy(candidate)].some((facet) => context.unavailableSplits.has(facet))
      ? wholeBucketPlan(bucket, false)
      : candidate;
  const planMadeWithoutStates = () =>
    usable(planWithoutStates ? planWithoutStates() : wholeBucketPlan(bucket, false));

  /**
   * A search by state cannot find an issue in an undocumented state, and a run that has not seen one
   * cannot tell. Before a window's issues are first divided by state in a run, they are probed in every
   * state: a short stretch at the window's start, where issues erring all the time err too, and then the
   * whole window ranked by first seen, sessions and priority as well as by count, so that an issue too
   * quiet to rank among the loudest 100 likely ranks among the newest or most urgent. An undocumented state
   * seen so refuses the split. The probes' results only serve that; the window is still divided as a whole.
   */
  const probeStates = async (window: SearchWindow): Promise<void> => {
    const { states: _states, ...filter } = window.filter;
    let length = Math.floor((window.to - window.from) / STATE_PROBE_SHARE);
    for (let attempt = 0; attempt < STATE_PROBE_ATTEMPTS && length >= 1; attempt++) {
      if (searches + 1 > context.maxSearchesPerBucket) return;
      const probe = await search({ from: window.from, to: window.from + length, filter });
      if (!isSaturated(probe.data.length)) break;
      length = Math.floor(length / STATE_PROBE_SHARE);
    }
    await searchRanked({ from: window.from, to: window.to, filter }, 'states', 0, undocumentedStateSeen);
  };
  /** A search ranked other than by count, to check a division by `facet`. */
  const searchRankedFor = async (
    window: SearchWindow,
    facet: RankingRefusedError['facet'],
    orderBy: OrderBy,
  ): Promise<SearchResponseWire> => {
    try {
      return await search(window, orderBy);
    } catch (error) {
      throw refusedByApi(error) ? new RankingRefusedError(facet, orderBy) : error;
    }
  };
  /**
   * A window's issues in each ranking of `PROBE_ORDERS`, searched while the bucket's budget leaves
   * `reserved` searches over and until `enough()`.
   */
  const searchRanked = async (
    window: SearchWindow,
    facet: RankingRefusedError['facet'],
    reserved: number,
    enough: () => boolean = () => false,
  ): Promise<SearchResultWire[]> => {
    const found: SearchResultWire[] = [];
    for (const orderBy of PROBE_ORDERS) {
      if (enough() || searches + reserved + 1 > context.maxSearchesPerBucket) break;
      found.push(...(await searchRankedFor(window, facet, orderBy)).data);
    }
    return found;
  };

  const saturatedOf = (response: SearchResponseWire): SaturatedResult => ({
    results: response.data,
    serviceOf: (issueId) => context.issueOf(issueId)?.attributes.service,
    stateOf: (issueId) => context.issueOf(issueId)?.attributes.state,
    errorTypeOf: (issueId) => context.issueOf(issueId)?.attributes.error_type,
  });

  const keepLeaf = (window: SearchWindow, results: readonly SearchResultWire[]) => {
    leaves.push({
      from: window.from,
      to: window.to,
      filter: window.filter,
      results,
      ...(window.timeDense ? { timeDense: true } : {}),
    });
  };
  /**
   * Searches a saturated window again and again, each time without every issue it has returned, until a
   * page comes back under the cap: the window's issues then are all its searches returned, with counts as
   * exact as an unsaturated search's, found in one search per hundred. Returns how many there were, or
   * `undefined`, having kept nothing, when paging is not possible (unproven, refused, or more issues than
   * a page may exclude): the window is then divided as before, and the pages were spent for nothing.
   */
  const pageThrough = async (
    window: SearchWindow,
    response: SearchResponseWire,
    mostExcluded: number,
  ): Promise<number | undefined> => {
    const { paging } = context;
    if (context.unavailableSplits.has('page') || window.filter.excludeIssues) return undefined;
    const found = [...response.data];
    const excluded = new Set(found.map((result) => result.id));
    for (;;) {
      if (excluded.size > Math.min(mostExcluded, paging.mostExcluded)) return undefined;
      if (searches + 1 > context.maxSearchesPerBucket) return undefined;
      const page: SearchWindow = { ...window, filter: { ...window.filter, excludeIssues: [...excluded] } };
      let answer: SearchResponseWire;
      try {
        answer = await search(page);
      } catch (error) {
        if (!refusedByApi(error) && !(error instanceof SearchFacetMisappliedError)) throw error;
        // A list the API finds too long, once it has read shorter ones, only lowers the run's limit.
        if (paging.proven && refusedByApi(error) && excluded.size > FEWEST_ISSUES_EXCLUDED)
          paging.mostExcluded = Math.max(FEWEST_ISSUES_EXCLUDED, Math.floor(excluded.size / 2));
        else context.unavailableSplits.add('page');
        return undefined;
      }
      if (answer.data.some((result) => excluded.has(result.id))) {
        context.unavailableSplits.add('page');
        return undefined;
      }
      if (answer.data.length === 0 && !paging.proven) {
        paging.doubtfulEmptyPages += 1;
        if (paging.doubtfulEmptyPages >= DOUBTFUL_EMPTY_PAGES) context.unavailableSplits.add('page');
        return undefined;
      }
      if (answer.data.length > 0) paging.proven = true;
      splits.page += 1;
      found.push(...answer.data);
      for (const result of answer.data) excluded.add(result.id);
      if (!isSaturated(answer.data.length)) {
        keepLeaf(window, found);
        return found.length;
      }
    }
  };

  const settle = async (window: SearchWindow, response: SearchResponseWire): Promise<void> => {
    if (!isSaturated(response.data.length)) {
      keepLeaf(window, response.data);
      return;
    }
    if ((await pageThrough(window, response, MOST_ISSUES_EXCLUDED)) !== undefined) return;
    const split = chooseSplit(
      window,
      saturatedOf(response),
      scope,
      context.statesSeenInRun,
      context.unavailableSplits,
      context.maxExcludedServices.value,
    );
    if (!split) {
      const unavailable = [...context.unavailableSplits].map((kind) => SPLIT_NAMES[kind]);
      declareIncomplete(
        window,
        response.data,
        `more than ${response.data.length - 1} issues in a window that cannot be split by time, service, track, error type or state, nor paged by issue id` +
          (unavailable.length > 0 ? ` (not used in this run: ${unavailable.join(', ')})` : ''),
      );
      return;
    }
    const probeKey = issuesDividedByState(window);
    if (split.kind === 'states' && context.probes.get(probeKey) !== 'done') {
      // Windows divided at the same time wait for the one probe of their issues.
      const pending = context.probes.get(probeKey);
      if (pending instanceof Promise) await pending;
      else {
        const probing = probeStates(window);
        context.probes.set(probeKey, probing);
        try {
          await probing;
        } finally {
          context.probes.set(probeKey, 'done');
        }
      }
      return settle(window, response);
    }
    if (searches + split.windows.length > context.maxSearchesPerBucket) {
      declareIncomplete(window, response.data, budgetExhausted);
      return;
    }
    const probed = split.kind === 'track' ? await probeTracks(window, split.windows.length) : [];
    let responses: SearchResponseWire[];
    try {
      responses = await Promise.all(split.windows.map((part) => search(part)));
    } catch (error) {
      const facet =
        split.kind === 'error_type' || split.kind === 'states' || split.kind === 'track'
          ? split.kind
          : undefined;
      if (!facet || !facetUnusable(facet, error)) throw error;
      context.unavailableSplits.add(facet);
      return settle(window, response);
    }
    // Tracks divide persona `ALL` only while every issue is in one of the three the API accepts.
    if (split.kind === 'track') {
      const unseen = shownInNoTrack([...response.data, ...probed], responses);
      if (unseen !== undefined) throw new UnknownTrackError(unseen);
    }
    splits[split.kind] += 1;
    // Halves that saturate with the same issues show those issues error throughout: facets come next,
    // dividing the window itself rather than each half, whose parts would each return the same issues
    // again (dense orgs of 400 issues in four services without error types: 2.50× → 2.42× the lower
    // bound, two seeds).
    const continuous =
      split.kind === 'time' &&
      responses.every((part) => isSaturated(part.data.length)) &&
      mostlyTheSameIssues(responses);
    if (continuous && !window.timeDense) {
      const throughout: SearchWindow = { ...window, timeDense: true };
      const byFacet = chooseSplit(
        throughout,
        saturatedOf(response),
        scope,
        context.statesSeenInRun,
        context.unavailableSplits,
        context.maxExcludedServices.value,
      );
      if (byFacet && byFacet.kind !== 'time') return settle(throughout, response);
    }
    await settleAll(
      split.windows.map((part) => (continuous ? { ...part, timeDense: true } : part)),
      responses,
    );
    if (split.kind === 'track') {
      const unseen = inNoTrackLeaf(window, [...response.data, ...probed]);
      if (unseen !== undefined) throw new UnknownTrackError(unseen);
    }
  };
  /**
   * Before a window's issues are first divided by track in a run, they are also searched ranked by first
   * seen, by impacted sessions and by priority, so that an issue too quiet to rank among the loudest 100
   * is checked for a track too (see `inNoTrackLeaf`). Only the probes' results serve that.
   */
  const probeTracks = async (window: SearchWindow, parts: number): Promise<SearchResultWire[]> => {
    const key = `track ${describeFilter(window.filter)}`;
    if (context.probes.has(key)) return [];
    context.probes.set(key, 'done');
    return searchRanked(window, 'track', parts);
  };
  /**
   * An issue known to err in a window divided by track that no leaf of a track within its hours returned,
   * once its parts are settled: it is in a track none of the three selects. Nothing is expected of hours
   * declared incomplete.
   */
  const inNoTrackLeaf = (window: SearchWindow, known: readonly SearchResultWire[]): string | undefined => {
    const overlaps = (from: number, to: number) => from < window.to && window.from < to;
    if (incomplete.some((part) => overlaps(Date.parse(part.from), Date.parse(part.to)))) return undefined;
    const inTrack = new Set<string>();
    for (const leaf of leaves)
      if (leaf.filter.track !== undefined && window.from <= leaf.from && leaf.to <= window.to)
        for (const result of leaf.results) inTrack.add(result.id);
    return known.find((result) => !inTrack.has(result.id))?.id;
  };
  /** Settles the parts of a divided window, every part finished before a failure goes up. */
  const settleAll = (parts: readonly SearchWindow[], responses: readonly SearchResponseWire[]) =>
    allOrFirstFailure(parts.map((part, index) => settle(part, responses[index]!)));

  /**
   * A plan names error types only after the API accepted them. Should it refuse them after all, the
   * bucket starts over from one unfiltered search, once every search already in flight has finished.
   */
  const searchPlanned = async (window: SearchWindow): Promise<SearchResponseWire> => {
    try {
      return await search(window);
    } catch (error) {
      const facet = suspectFacet(window.filter, context.provenFacets);
      throw facet !== 'service' && facetUnusable(facet, error) ? new PlanRefusedError(facet) : error;
    }
  };
  /**
   * A plan naming a facet no search of the run has proved yet starts with one search of the whole bucket:
   * the issues it shows are what the plan's searches are checked against, and one that fits is the bucket.
   * Otherwise an API misapplying the facet in the first bucket planned with it could go unnoticed.
   */
  const searchedWholeFirst = async (current: BucketPlan): Promise<boolean> => {
    // A plan searched together first begins with that search anyway.
    if (current.togetherFirst || !sightings.empty) return false;
    const unproven = [...facetsNamedBy(current)].some((facet) => !context.provenFacets.has(facet));
    if (!unproven) return false;
    const window: SearchWindow = { from: bucket.start, to: bucket.end, filter: {} };
    const response = await search(window);
    // Paged, that search is the bucket too, and nothing of the plan is needed.
    if (isSaturated(response.data.length))
      return (await pageThrough(window, response, MOST_ISSUES_EXCLUDED)) !== undefined;
    await settle(window, response);
    return true;
  };
  /**
   * Windows of the whole bucket, each of issues erring throughout and too many for one search, divided by
   * track without being searched whole: their saturated searches would have been divided so, since
   * neither time nor one service's sample comes first (see `chooseSplit`). Each track is searched once
   * for all of them together, so a track they hardly err in costs one search, not one each; a track that
   * saturates so is searched for each window apart.
   */
  const divideUnsearched = async (windows: readonly SearchWindow[]): Promise<boolean> => {
    const [first] = windows;
    if (!first || context.unavailableSplits.has('track')) return false;
    const together: SearchWindow = {
      from: first.from,
      to: first.to,
      filter: withClauses(
        {},
        windows.flatMap((window) => clausesOf(window.filter)),
      ),
      timeDense: true,
    };
    const split = trackSplit(together, scope);
    if (!split || searches + split.windows.length > context.maxSearchesPerBucket) return false;
    const responses = await Promise.all(split.windows.map((part) => searchPlanned(part)));
    splits.track += 1;
    const work: Promise<void>[] = [];
    for (const [index, part] of split.windows.entries()) {
      const response = responses[index]!;
      // A track that saturates for one window alone is divided further like any saturated window.
      if (!isSaturated(response.data.length) || windows.length === 1) {
        work.push(settle(part, response));
        continue;
      }
      const apart = windows.map((window) => ({
        ...window,
        filter: { ...window.filter, track: part.filter.track },
      }));
      if (searches + apart.length > context.maxSearchesPerBucket) {
        declareIncomplete(part, response.data, budgetExhausted);
        continue;
      }
      work.push(
        Promise.all(apart.map((window) => searchPlanned(window))).then((found) => settleAll(apart, found)),
      );
    }
    await allOrFirstFailure(work);
    return true;
  };
  /** Searches a plan to the end, every search settled, and returns the first failure, if any. */
  const runPlan = async (current: BucketPlan): Promise<unknown> => {
    try {
      if (await searchedWholeFirst(current)) return undefined;
    } catch (error) {
      return error;
    }
    const failures = await searchPlan(current, {
      search: searchPlanned,
      settle,
      issueOf: context.issueOf,
      affordable: () => searches + 1 <= context.maxSearchesPerBucket,
      pageThrough: (window, response) => pageThrough(window, response, MOST_ISSUES_EXCLUDED),
      divideUnsearched,
      abandon: (window) => declareIncomplete(window, [], budgetExhausted),
    });
    return failures.find((failure) => failure instanceof PlanRefusedError) ?? failures[0];
  };
  /**
   * Discovery's searches name no error type, so should the API refuse them in the plan made from its
   * sample, the same sample plans the bucket by service.
   */
  let plannedWithoutErrorTypes: (() => Promise<unknown>) | undefined;
  /** A bucket with nothing to plan from is planned from what its own first searches show. */
  const discover = async (): Promise<unknown> => {
    try {
      const discovery = await discoverBucket(bucket, {
        search: searchPlanned,
        issueOf: context.issueOf,
        maxExcludedServices: () => context.maxExcludedServices.value,
        countSplit: (kind) => {
          splits[kind] += 1;
        },
        // A bucket of up to two searches' issues is found by paging; a bigger one is sampled, as before.
        pageThrough: (window, response) => pageThrough(window, response, FIRST_BUCKET_ISSUES_EXCLUDED),
      });
      if (discovery.kind === 'paged') return undefined;
      if (discovery.kind === 'searched') {
        await settle(discovery.window, discovery.response);
        return undefined;
      }
      const { observation, tail, tailResponse, deepestSaturated, restSearched } = discovery;
      const runFromSample = (plan: BucketPlan) => runPlan({ ...plan, fromSample: true });
      const searchFrom = async (sampled: ErrorTypeObservation): Promise<unknown> => {
        const maxExcluded = context.maxExcludedServices.value;
        if (deepestSaturated)
          return await runFromSample(planByErrorType(sampled, bucket, true, new Set(), maxExcluded));
        const [tailOutcome, headFailure] = await Promise.allSettled([
          settle(tail, tailResponse),
          runFromSample(planByErrorType(sampled, bucket, false, restSearched, maxExcluded)),
        ]);
        if (tailOutcome.status === 'rejected') return tailOutcome.reason;
        return headFailure.status === 'fulfilled' ? headFailure.value : headFailure.reason;
      };
      // Should the API refuse error types, the same sample plans the bucket by service alone (unless the
      // tail itself named error types: then the bucket starts over from one search).
      if (!discovery.typed) plannedWithoutErrorTypes = () => searchFrom(withoutErrorTypes(observation));
      return await searchFrom(observation);
    } catch (error) {
      return error;
    }
  };
  /**
   * A plan that divides by state, made from the buckets before, cannot find an issue in an undocumented
   * state that did not err when the run's probe did. So the services it divides by state are first
   * searched in every state, ranked by first seen and by count: an issue new here ranks among the newest
   * unless a hundred newer ones of those services err too (ranked among every service's, 150 new issues
   * of another service hid one in a test), and an old issue erring again loudly among the loudest (one
   * erring from the fifth hour was lost before the count-ranked check). One quiet and old stays unseen.
   * One in an undocumented state turns the bucket to the plan made without states. When the plan does
   * not name the services it divides, the whole bucket is searched, and a search under the cap is the
   * bucket.
   */
  const runPlanCheckingNewIssues = async (current: BucketPlan): Promise<unknown> => {
    if (!facetsNamedBy(current).has('states')) return runPlan(current);
    const divided = servicesDividedByState(current);
    // Only the services divided by state can hide an issue from the plan: ranked among their own issues,
    // a new one is not crowded out by a hundred newer ones of other services.
    const checked: SearchWindow = {
      from: bucket.start,
      to: bucket.end,
      filter: divided ? { includeServices: divided } : {},
    };
    try {
      const newest = await searchRankedFor(checked, 'states', 'FIRST_SEEN');
      // Under the cap, the newest are every issue checked: ranked by count, the same again.
      if (isSaturated(newest.data.length)) await search(checked, 'TOTAL_COUNT');
      else if (!divided) {
        // ...and, checked whole, the bucket itself.
        await settle(checked, newest);
        return undefined;
      }
    } catch (error) {
      return error;
    }
    if (!undocumentedStateSeen()) return runPlan(current);
    return runPlan(planMadeWithoutStates());
  };
  let failure =
    plan.discover && !context.unavailableSplits.has('error_type')
      ? await discover()
      : await runPlanCheckingNewIssues(usable(plan));
  const startOver = () => {
    leaves.length = 0;
    incomplete.length = 0;
    for (const kind of SPLIT_KINDS) splits[kind] = 0;
  };
  /** Halves the services a remainder may exclude after the API refused a remainder; false at the floor. */
  const excludeFewer = (refused: RemainderRefusedError): boolean => {
    const fewer = Math.max(FEWEST_SERVICES_EXCLUDED, Math.floor(refused.excluded / 2));
    if (fewer >= context.maxExcludedServices.value) return false;
    context.maxExcludedServices.value = fewer;
    return true;
  };
  // The bucket starts over without the facet, once per facet: no search after that names it. After a
  // refused remainder it starts over from one search, with shorter remainders.
  const restartedWithout = new Set<DroppableFacet>();
  for (;;) {
    const facet = droppableFacetOf(failure);
    if (facet && !restartedWithout.has(facet)) {
      restartedWithout.add(facet);
      context.unavailableSplits.add(facet);
      startOver();
      failure =
        facet === 'error_type' && plannedWithoutErrorTypes
          ? await plannedWithoutErrorTypes()
          : await runPlan(facet === 'states' ? planMadeWithoutStates() : wholeBucketPlan(bucket, false));
    } else if (failure instanceof RemainderRefusedError && excludeFewer(failure)) {
      startOver();
      failure = await runPlan(wholeBucketPlan(bucket, false));
    } else break;
  }
  if (failure instanceof RemainderRefusedError) throw failure.cause;
  if (failure !== undefined) throw failure;
  return { bucket, scope, leaves, searches, searchesByState, splits, incomplete };
}
