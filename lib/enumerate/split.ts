import { ISSUE_STATES, SEARCH_RESULT_CAP, type SearchResultWire, TRACKS } from '../datadog/types';
import type { SearchFilter } from './query';
import type { SearchScope } from './scope';

export type SplitKind = 'time' | 'service' | 'track' | 'states';
export const SPLIT_KINDS: readonly SplitKind[] = ['time', 'service', 'track', 'states'];

export interface SearchWindow {
  readonly from: number;
  readonly to: number;
  readonly filter: SearchFilter;
  /**
   * Set on both halves of a time split that came back saturated together: the issues error throughout,
   * so further halving is the most expensive way forward and facets are tried first.
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
}

/** Services seen this often in a saturated result get a search of their own; rarer ones share one. */
const DENSE_SERVICE_VISIBLE_COUNT = 10;
/** Rare services share a search up to this many issues seen in the saturated result... */
const SHARED_GROUP_VISIBLE_LIMIT = 30;
/** ...and up to this many services, to keep the query short. */
export const MAX_SERVICES_PER_QUERY = 40;

export function isSaturated(resultCount: number): boolean {
  return resultCount >= SEARCH_RESULT_CAP;
}

/** Services that can be named in a positive `service:` term. Empty or missing services cannot. */
function nameableServices(saturated: SaturatedResult, filter: SearchFilter): Map<string, number> {
  const excluded = new Set(filter.excludeServices ?? []);
  const counts = new Map<string, number>();
  for (const result of saturated.results) {
    const service = saturated.serviceOf(result.id);
    if (service === undefined || service === '' || excluded.has(service)) continue;
    counts.set(service, (counts.get(service) ?? 0) + 1);
  }
  return counts;
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
  for (const [service, count] of ordered) {
    const target = groups.find(
      (group) => group.load + count <= groupLimit && group.services.length < maxServicesPerGroup,
    );
    if (target && count < groupLimit) {
      target.services.push(service);
      target.load += count;
    } else {
      groups.push({ services: [service], load: count });
    }
  }
  return groups.map((group) => group.services);
}

function serviceSplit(window: SearchWindow, saturated: SaturatedResult): Split | undefined {
  const { filter } = window;
  const included = filter.includeServices;
  if (included && included.length === 1) return undefined;
  const seen = nameableServices(saturated, filter);
  if (included) {
    // Halve the group by what the saturated result showed, so most parts fit under the cap at once.
    const expected = new Map(included.map((service) => [service, seen.get(service) ?? 0]));
    let groups = packServices(expected, SEARCH_RESULT_CAP / 2);
    if (groups.length < 2)
      groups = [
        included.slice(0, Math.ceil(included.length / 2)),
        included.slice(Math.ceil(included.length / 2)),
      ];
    return {
      kind: 'service',
      windows: groups.map((services) => ({ ...window, filter: { ...filter, includeServices: services } })),
    };
  }
  if (seen.size === 0) return undefined;
  const dense = new Map([...seen].filter(([, count]) => count >= DENSE_SERVICE_VISIBLE_COUNT));
  const sparse = new Map([...seen].filter(([, count]) => count < DENSE_SERVICE_VISIBLE_COUNT));
  const groups = [
    ...[...dense.keys()].map((service) => [service]),
    ...packServices(sparse, SHARED_GROUP_VISIBLE_LIMIT),
  ];
  const { excludeServices: _previous, ...rest } = filter;
  const windows: SearchWindow[] = groups.map((services) => ({
    from: window.from,
    to: window.to,
    filter: { ...rest, includeServices: services },
  }));
  windows.push({
    from: window.from,
    to: window.to,
    filter: { ...filter, excludeServices: [...(filter.excludeServices ?? []), ...seen.keys()] },
  });
  return { kind: 'service', windows };
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

function trackSplit(window: SearchWindow, scope: SearchScope): Split | undefined {
  // Tracks partition persona ALL only; under another persona a track search would drop the persona.
  if (scope.track || (scope.persona ?? 'ALL') !== 'ALL' || window.filter.track) return undefined;
  return {
    kind: 'track',
    windows: TRACKS.map((track) => ({ ...window, filter: { ...window.filter, track } })),
  };
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
  const searchable = new Set<string>(ISSUE_STATES);
  if ([...statesSeenInRun].some((state) => !searchable.has(state))) return undefined;
  if (window.filter.states) {
    if (window.filter.states.length < 2) return undefined;
    return {
      kind: 'states',
      windows: window.filter.states.map((state) => ({
        ...window,
        filter: { ...window.filter, states: [state] },
      })),
    };
  }
  const seen = new Set<string>();
  for (const result of saturated.results) {
    const state = saturated.stateOf(result.id);
    if (state && searchable.has(state)) seen.add(state);
  }
  const unseen = ISSUE_STATES.filter((state) => !seen.has(state));
  const groups = [...[...seen].sort().map((state) => [state]), ...(unseen.length > 0 ? [unseen] : [])];
  if (groups.length < 2) return undefined;
  return {
    kind: 'states',
    windows: groups.map((states) => ({ ...window, filter: { ...window.filter, states } })),
  };
}

/**
 * Picks the cheapest way to divide a saturated window so that every step makes progress:
 * services first (a remainder query guarantees progress and services bound issue counts), then time
 * (cheap for bursts), then track and states (needed when issues error continuously in one service).
 * `undefined` means the window cannot be divided any further and must be declared incomplete.
 */
export function chooseSplit(
  window: SearchWindow,
  saturated: SaturatedResult,
  scope: SearchScope,
  statesSeenInRun: ReadonlySet<string>,
): Split | undefined {
  const facetSplits = () => trackSplit(window, scope) ?? statesSplit(window, saturated, statesSeenInRun);
  const service = serviceSplit(window, saturated);
  if (service) return service;
  if (window.timeDense) return facetSplits() ?? timeSplit(window);
  return timeSplit(window) ?? facetSplits();
}
