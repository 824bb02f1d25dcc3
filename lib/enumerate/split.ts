import { ISSUE_STATES, SEARCH_RESULT_CAP, type SearchResultWire, TRACKS } from '../datadog/types';
import type { FacetClause, SearchFilter } from './query';
import type { SearchScope } from './scope';

export type SplitKind = 'time' | 'service' | 'track' | 'states' | 'error_type' | 'page';
export const SPLIT_KINDS: readonly SplitKind[] = ['time', 'service', 'track', 'states', 'error_type', 'page'];

export interface SearchWindow {
  readonly from: number;
  readonly to: number;
  readonly filter: SearchFilter;
  /**
   * Set on a window whose time halves came back saturated with mostly the same issues (and on its parts):
   * the issues error throughout, so further halving is the most expensive way forward and facets are
   * tried first.
   */
  readonly timeDense?: boolean;
}

export interface Split {
  readonly kind: SplitKind;
  readonly windows: readonly SearchWindow[];
}

/** What the engine knows about a saturated window's results. */
export interface SaturatedResult {
  readonly results: readonly SearchResultWire[];
  /** service (or undefined when the issue has none) and state of each result's issue, where known. */
  readonly serviceOf: (issueId: string) => string | undefined;
  readonly stateOf: (issueId: string) => string | undefined;
  readonly errorTypeOf: (issueId: string) => string | undefined;
}

/** Services seen this often in a saturated result get a search of their own; rarer ones share one. */
const DENSE_SERVICE_VISIBLE_COUNT = 10;
/**
 * Rare services share a search up to this many issues seen in the saturated result. Half the cap: the
 * services a saturated search showed once or twice are mostly all there is of them, and an org of 300
 * services, most with one issue, took 7 searches for each saturated window at 15 (300 services and 300 or
 * 1,500 issues: 1.92× → 1.76× the lower bound; orgs of 8, 12, 40 and 150 services the same).
 */
const SHARED_GROUP_VISIBLE_LIMIT = 48;
/**
 * Services one query names, to include or, in a remainder, to exclude. At 40 for those to include, an org
 * of 300 services searched its quiet services forty at a time, a few issues a search: 2.45× the lower
 * bound, against 2.03× at 200.
 */
export const MAX_SERVICES_PER_QUERY = 200;
/**
 * Services a remainder query excludes, at most: it excludes every service searched apart, so without a
 * bound its query grows with the org, against an API that documents no limit (an org of 2,000 services
 * excluded up to 1,300, 23,000 characters, in one query). At 1,000, about 18,000 characters, nothing
 * changes for orgs of up to 1,000 services; past that, a remainder that excludes 1,000 is divided by time
 * and the other facets rather than by naming more (the 2,000-service org: 243 → 221 searches). At 400,
 * dense orgs of 600 services without error types took 3.41× → 4.84× the lower bound: their remainder's
 * issues err all hour, and only services divide them. A run lowers it when the API refuses a remainder
 * (see `RemainderRefusedError`).
 */
export const MAX_SERVICES_EXCLUDED = 1000;

export function isSaturated(resultCount: number): boolean {
  return resultCount >= SEARCH_RESULT_CAP;
}

/**
 * How often each value of a facet appears in a saturated result, for values that can be named in a
 * positive term: empty or missing values cannot, and excluded ones are already searched elsewhere.
 */
function nameableValues(
  saturated: SaturatedResult,
  facetOf: (issueId: string) => string | undefined,
  excluded: readonly string[] = [],
): Map<string, number> {
  const skip = new Set(excluded);
  const counts = new Map<string, number>();
  for (const result of saturated.results) {
    const value = facetOf(result.id);
    if (value === undefined || value === '' || skip.has(value)) continue;
    counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  return counts;
}

/**
 * Divides a named group in two by what the saturated result showed, balancing what each half showed, so
 * that both halves of a window a little over the cap come back under it.
 */
function halveGroup(group: readonly string[], seen: ReadonlyMap<string, number>): string[][] {
  const halves: [string[], string[]] = [[], []];
  const loads: [number, number] = [0, 0];
  const ordered = [...group].sort((a, b) => (seen.get(b) ?? 0) - (seen.get(a) ?? 0) || (a < b ? -1 : 1));
  for (const value of ordered) {
    const lighter =
      loads[0]! < loads[1]! || (loads[0] === loads[1] && halves[0].length <= halves[1].length) ? 0 : 1;
    halves[lighter].push(value);
    loads[lighter] += seen.get(value) ?? 0;
  }
  return halves.filter((half) => half.length > 0);
}

/**
 * Packs services into search groups by expected issue count (first-fit decreasing). A service expected to
 * fill a search alone gets its own; the rest share up to `groupLimit` expected issues.
 */
export function packServices(
  expectedIssues: ReadonlyMap<string, number>,
  groupLimit: number,
  maxServicesPerGroup = MAX_SERVICES_PER_QUERY,
): string[][] {
  const ordered = [...expectedIssues.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const groups: Array<{ services: string[]; load: number }> = [];
  const hasRoom = (group: { services: string[] }) => group.services.length < maxServicesPerGroup;
  for (const [service, count] of ordered) {
    // A piece expected to hold nothing (a remainder, say) adds nothing to a search's load: with no room
    // under the limit, it still joins the lightest search not expected to saturate (one that does is
    // divided by what it shows, and a piece riding along would cost that piece a search of its own again).
    const target =
      groups.find((group) => group.load + count <= groupLimit && hasRoom(group)) ??
      (count === 0
        ? groups
            .filter((group) => hasRoom(group) && !isSaturated(group.load))
            .sort((a, b) => a.load - b.load)[0]
        : undefined);
    if (target && count < groupLimit) {
      target.services.push(service);
      target.load += count;
    } else {
      groups.push({ services: [service], load: count });
    }
  }
  return groups.map((group) => group.services);
}

/** The clauses a filter's facets amount to. */
export function clausesOf(filter: SearchFilter): readonly FacetClause[] {
  if (filter.anyOf) return filter.anyOf;
  const { includeServices, excludeServices, includeErrorTypes, excludeErrorTypes } = filter;
  return [
    Object.fromEntries(
      Object.entries({ includeServices, excludeServices, includeErrorTypes, excludeErrorTypes }).filter(
        ([, value]) => value !== undefined,
      ),
    ),
  ];
}

/** A list's first and second halves; the first is the longer by one when the count is odd. */
function halves<T>(values: readonly T[]): [T[], T[]] {
  const middle = Math.ceil(values.length / 2);
  return [values.slice(0, middle), values.slice(middle)];
}

/** A clause's issues as two disjoint clauses, each naming half the services (or error types) it names. */
function halvesOfClause(clause: FacetClause): [FacetClause, FacetClause] | undefined {
  for (const named of ['includeServices', 'includeErrorTypes'] as const) {
    const values = clause[named];
    if (!values || values.length < 2) continue;
    const [first, second] = halves(values);
    return [
      { ...clause, [named]: first },
      { ...clause, [named]: second },
    ];
  }
  return undefined;
}

/**
 * Two filters that between them select exactly what `filter` does, each with about half its query: half
 * its clauses, or half the services (else error types) its one clause names. For an API that refuses a
 * query as too long. `undefined` when the filter names no list that halves so: an exclusion list cannot
 * be halved without changing what it selects (see `RemainderRefusedError` for remainders).
 */
export function halvesOf(filter: SearchFilter): [SearchFilter, SearchFilter] | undefined {
  const clauses = clausesOf(filter);
  const [first, second] = halves(clauses);
  if (second.length > 0) return [withClauses(filter, first), withClauses(filter, second)];
  const halved = clauses[0] && halvesOfClause(clauses[0]);
  return halved && [withClauses(filter, [halved[0]]), withClauses(filter, [halved[1]])];
}

/** Whether a clause names error types, to include or to exclude. */
export function namesErrorTypes(clause: FacetClause): boolean {
  return clause.includeErrorTypes !== undefined || clause.excludeErrorTypes !== undefined;
}

/** Whether any clause of a filter names error types. */
export function mentionsErrorTypes(filter: SearchFilter): boolean {
  return clausesOf(filter).some(namesErrorTypes);
}

/** A filter narrowed to some of a packed search's clauses; one clause becomes a plain filter again. */
export function withClauses(filter: SearchFilter, clauses: readonly FacetClause[]): SearchFilter {
  const {
    anyOf: _packed,
    includeServices: _i,
    excludeServices: _e,
    includeErrorTypes: _t,
    excludeErrorTypes: _x,
    ...rest
  } = filter;
  if (clauses.length === 1) return { ...rest, ...clauses[0] };
  return { ...rest, anyOf: clauses };
}

export function clauseMatches(
  clause: FacetClause,
  service: string | undefined,
  errorType: string | undefined,
): boolean {
  if (clause.includeServices && (service === undefined || !clause.includeServices.includes(service)))
    return false;
  if (clause.excludeServices && service !== undefined && clause.excludeServices.includes(service))
    return false;
  if (clause.includeErrorTypes && (errorType === undefined || !clause.includeErrorTypes.includes(errorType)))
    return false;
  if (clause.excludeErrorTypes && errorType !== undefined && clause.excludeErrorTypes.includes(errorType))
    return false;
  return true;
}

/** How many of the results each clause matched (clauses of one search are disjoint). */
export function matchesPerClause(
  clauses: readonly FacetClause[],
  results: readonly SearchResultWire[],
  serviceOf: (issueId: string) => string | undefined,
  errorTypeOf: (issueId: string) => string | undefined,
): number[] {
  const matched = clauses.map(() => 0);
  for (const result of results) {
    const service = serviceOf(result.id);
    const errorType = errorTypeOf(result.id);
    const index = clauses.findIndex((clause) => clauseMatches(clause, service, errorType));
    if (index >= 0) matched[index]! += 1;
  }
  return matched;
}

/** Halves a packed search's clauses by how many of the saturated result each one matched. */
function clauseSplit(
  window: SearchWindow,
  clauses: readonly FacetClause[],
  saturated: SaturatedResult,
): Split {
  const matched = matchesPerClause(clauses, saturated.results, saturated.serviceOf, saturated.errorTypeOf);
  const groups = halveGroup(
    clauses.map((_, index) => String(index)),
    new Map(matched.map((count, index) => [String(index), count])),
  );
  return {
    kind: 'service',
    windows: groups.map((indexes) => ({
      ...window,
      filter: withClauses(
        window.filter,
        indexes.map((index) => clauses[Number(index)]!),
      ),
    })),
  };
}

function serviceSplit(
  window: SearchWindow,
  saturated: SaturatedResult,
  maxExcluded: number,
): Split | undefined {
  const { filter } = window;
  if (filter.anyOf && filter.anyOf.length > 1) return clauseSplit(window, filter.anyOf, saturated);
  const included = filter.includeServices;
  if (included && included.length === 1) return undefined;
  const seen = nameableValues(saturated, saturated.serviceOf, filter.excludeServices);
  if (included) {
    return {
      kind: 'service',
      windows: halveGroup(included, seen).map((services) => ({
        ...window,
        filter: { ...filter, includeServices: services },
      })),
    };
  }
  // The remainder excludes every service named so far, so no more are named than it may exclude.
  const room = maxExcluded - (filter.excludeServices?.length ?? 0);
  if (seen.size === 0 || room < 1) return undefined;
  const mostSeen = [...seen].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, room);
  const dense = new Map(mostSeen.filter(([, count]) => count >= DENSE_SERVICE_VISIBLE_COUNT));
  const sparse = new Map(mostSeen.filter(([, count]) => count < DENSE_SERVICE_VISIBLE_COUNT));
  const sparseGroups = packServices(sparse, SHARED_GROUP_VISIBLE_LIMIT);
  // The least seen group doubles as the remainder, which excludes every other service; a lone group
  // stays named, so that the remainder always excludes something new.
  const groups = [
    ...[...dense].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([service]) => [service]),
    ...sparseGroups,
  ];
  if (groups.length > 1) groups.pop();
  const { excludeServices: _previous, ...rest } = filter;
  const windows: SearchWindow[] = groups.map((services) => ({
    from: window.from,
    to: window.to,
    filter: { ...rest, includeServices: services },
  }));
  windows.push({
    from: window.from,
    to: window.to,
    filter: { ...filter, excludeServices: [...(filter.excludeServices ?? []), ...groups.flat()] },
  });
  return { kind: 'service', windows };
}

/**
 * Error types partition one service's issues the way services partition the org: the types seen get
 * searches of their own (packed by how often they were seen) and a remainder excludes them, so an issue
 * of an unseen or missing type is still found.
 */
function errorTypeSplit(window: SearchWindow, saturated: SaturatedResult): Split | undefined {
  const { filter } = window;
  const seen = nameableValues(saturated, saturated.errorTypeOf, filter.excludeErrorTypes);
  if (filter.includeErrorTypes) {
    if (filter.includeErrorTypes.length < 2) return undefined;
    return {
      kind: 'error_type',
      windows: halveGroup(filter.includeErrorTypes, seen).map((types) => ({
        ...window,
        filter: { ...filter, includeErrorTypes: types },
      })),
    };
  }
  if (seen.size === 0) return undefined;
  const { excludeErrorTypes: _previous, ...rest } = filter;
  let groups = packServices(seen, SEARCH_RESULT_CAP / 2);
  if (groups.length < 2)
    groups = seen.size >= 2 ? halveGroup([...seen.keys()], seen) : [[...seen.keys()], []];
  // The smallest group doubles as the remainder, which excludes every other type: no search for "the rest".
  groups.pop();
  const named = groups.flat();
  return {
    kind: 'error_type',
    windows: [
      ...groups.map((types) => ({ ...window, filter: { ...rest, includeErrorTypes: types } })),
      {
        ...window,
        filter: { ...filter, excludeErrorTypes: [...(filter.excludeErrorTypes ?? []), ...named] },
      },
    ],
  };
}

function timeSplit(window: SearchWindow): Split | undefined {
  if (window.to - window.from < 2) return undefined;
  const middle = window.from + Math.floor((window.to - window.from) / 2);
  return {
    kind: 'time',
    windows: [
      { from: window.from, to: middle, filter: window.filter },
      { from: middle, to: window.to, filter: window.filter },
    ],
  };
}

export function trackSplit(window: SearchWindow, scope: SearchScope): Split | undefined {
  // Tracks partition persona ALL only; under another persona a track search would drop the persona.
  if (scope.track || (scope.persona ?? 'ALL') !== 'ALL' || window.filter.track) return undefined;
  return {
    kind: 'track',
    windows: TRACKS.map((track) => ({ ...window, filter: { ...window.filter, track } })),
  };
}

/** Whether any of these states is one the `states` field does not accept, so no search by state finds it. */
export function anyUndocumentedState(states: Iterable<string>): boolean {
  const searchable = new Set<string>(ISSUE_STATES);
  return [...states].some((state) => !searchable.has(state));
}

/**
 * `states` only accepts the documented enum values, so an issue in a state newer than this code knows could
 * not be found by any part. Once the run has seen such a state, a state split would lose it silently, so
 * the window is declared incomplete instead.
 */
function statesSplit(
  window: SearchWindow,
  saturated: SaturatedResult,
  statesSeenInRun: ReadonlySet<string>,
): Split | undefined {
  if (anyUndocumentedState(statesSeenInRun)) return undefined;
  const candidates = window.filter.states ?? ISSUE_STATES;
  if (candidates.length < 2) return undefined;
  const seen = nameableValues(saturated, saturated.stateOf);
  const inDocumentedOrder = (states: readonly string[]) =>
    ISSUE_STATES.filter((state) => states.includes(state));
  return {
    kind: 'states',
    windows: halveGroup(candidates, seen)
      .map(inDocumentedOrder)
      .map((states) => ({ ...window, filter: { ...window.filter, states } })),
  };
}

/**
 * With 100 issues shown, a half of the window is expected to hold this many of them when each erred about
 * four times, evenly spread: then halving is unlikely to bring either half under the cap, and it returns
 * most issues twice. (At 85, about three times each, sparse and bursty 12-service orgs made more searches.)
 */
const HALVES_SHARE_ABOVE = 92;

/**
 * Whether the halves of a saturated window would likely saturate too, going by how often its shown
 * issues erred (an issue erring `c` times, evenly spread, errs in a given half with chance 1 − ½^c). A
 * missing count is taken as one error, which favours time as before counts were read.
 */
function halvesWouldSaturate(results: readonly SearchResultWire[]): boolean {
  const shownPerHalf = results.reduce(
    (sum, result) => sum + 1 - 0.5 ** Math.max(1, result.attributes.total_count ?? 1),
    0,
  );
  return shownPerHalf >= HALVES_SHARE_ABOVE;
}

/**
 * Picks the cheapest way to divide a saturated window so that every step makes progress: services first
 * (a remainder query guarantees progress and services bound issue counts), then error types (like services,
 * they never return an issue twice, where time windows return every issue that errs in both), then time
 * (cheap for bursts), track and states.
 *
 * When the shown issues erred so often that the halves would saturate too, track comes before time. Against
 * an API without error types, halving bursts down to one-minute windows made sparse and bursty orgs of 400
 * and 1,500 issues 6.2× the lower bound with one service, 4.2× with two and 2.9× with four; track first,
 * 4.9×, 3.9× and 2.6× (with the probes for undocumented states; orgs with error types the same).
 * States stay last: a search by state cannot find an issue in a state the `states` field does not accept,
 * and the probes for one before a window is divided by state (see `enumerateBucket`) make a miss unlikely,
 * not impossible (dividing by state before time, with only the short probe, missed issue-hours in a test).
 * For issues that err throughout the window, shown by time halves that saturate with the same issues,
 * track comes first and time last.
 *
 * A kind in `unavailable` is skipped, such as the error-type facet once the API has refused it.
 * `undefined` means the window cannot be divided any further and must be declared incomplete.
 */
export function chooseSplit(
  window: SearchWindow,
  saturated: SaturatedResult,
  scope: SearchScope,
  statesSeenInRun: ReadonlySet<string>,
  unavailable: ReadonlySet<SplitKind> = new Set(),
  /** Services a remainder may exclude: lower than `MAX_SERVICES_EXCLUDED` once the API refused as many. */
  maxExcluded = MAX_SERVICES_EXCLUDED,
): Split | undefined {
  // Pages are not a division: `enumerateBucket` tries them before it asks for one.
  const candidates: Record<Exclude<SplitKind, 'page'>, () => Split | undefined> = {
    service: () => serviceSplit(window, saturated, maxExcluded),
    time: () => timeSplit(window),
    track: () => trackSplit(window, scope),
    error_type: () => errorTypeSplit(window, saturated),
    states: () => statesSplit(window, saturated, statesSeenInRun),
  };
  const order: Exclude<SplitKind, 'page'>[] = window.timeDense
    ? ['service', 'track', 'error_type', 'states', 'time']
    : halvesWouldSaturate(saturated.results)
      ? ['service', 'error_type', 'track', 'time', 'states']
      : ['service', 'error_type', 'time', 'track', 'states'];
  for (const kind of order) {
    if (unavailable.has(kind)) continue;
    const split = candidates[kind]();
    if (split) return split;
  }
  return undefined;
}
