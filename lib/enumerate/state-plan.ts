import { ISSUE_STATES, type Track } from '../datadog/types';
import type { LeafWindow } from './enumerate';
import { errorRateOf, type WindowIssues, windowOfLeaf } from './error-type-plan';

/**
 * The states a busy service's issues are searched in when error types cannot divide it: open issues apart
 * from the rest. `states` is a field of the search request rather than a term of its query, so one search
 * can never hold two groups; two groups are few enough to pack well and divide a service in about two.
 */
export const STATE_GROUPS: readonly (readonly string[])[] = [
  ['OPEN'],
  ISSUE_STATES.filter((state) => state !== 'OPEN'),
];

/**
 * The group of a state, or `undefined` for a state the `states` field does not accept (a newer one, or
 * none given): such an issue is found by no search of any group.
 */
export function stateGroupOf(state: string | undefined): number | undefined {
  if (state === undefined) return undefined;
  const group = STATE_GROUPS.findIndex((states) => states.includes(state));
  return group < 0 ? undefined : group;
}

/**
 * A service's issues searched in one track (`''`: in every track at once) and one state group (none: in
 * every state).
 */
export function cellKey(track: Track | '', group?: number): string {
  return `${track}|${group ?? ''}`;
}

/** What one bucket showed of one service's issues by track and state group, for plans without error types. */
export interface ServiceStates {
  /** Its issues were found in several tracks, each searched on its own: the plan keeps to tracks too. */
  readonly tracked: boolean;
  /** Distinct issues of each state group (indexed as `STATE_GROUPS`), by track (`''`: searched in every track). */
  readonly issues: ReadonlyMap<Track | '', readonly number[]>;
  /** Distinct issues in every state, undocumented ones too. */
  readonly allIssues: number;
  /**
   * How often a cell's issues erred (see `cellKey`), fitted to the time windows that searched the whole
   * service, alone or together with other whole services.
   */
  readonly errorRates: ReadonlyMap<string, number>;
  /** The searches those time windows took, by cell: a plan may take as many again. */
  readonly timeWindowSearches: ReadonlyMap<string, number>;
  /**
   * A search of the service was divided by state: only done where time could not divide its issues, since a
   * search by state cannot find an issue in a state newer than the documented ones.
   */
  readonly dividedByState: boolean;
}

interface ServiceTally {
  readonly issues: Map<Track | '', Array<Set<string>>>;
  readonly all: Set<string>;
  readonly windows: Map<string, Map<string, WindowIssues>>;
  readonly searches: Map<string, number>;
  dividedByState: boolean;
}

/**
 * Each service's issues by track and state group, and, for a service searched alone in time windows narrower
 * than the bucket, how often each cell's issues erred (see `fitErrorRate`): a window split by state counts
 * for every group it searched, and windows of the same range add up.
 */
export function observeServiceStates(
  leaves: readonly LeafWindow[],
  bucketLength: number,
  serviceOf: (issueId: string) => string | undefined,
  stateOf: (issueId: string) => string | undefined,
): Map<string, ServiceStates> {
  const tallies = new Map<string, ServiceTally>();
  const tallyOf = (service: string) => {
    let tally = tallies.get(service);
    if (!tally) {
      tally = {
        issues: new Map(),
        all: new Set(),
        windows: new Map(),
        searches: new Map(),
        dividedByState: false,
      };
      tallies.set(service, tally);
    }
    return tally;
  };
  for (const leaf of leaves) {
    const track = leaf.filter.track ?? '';
    for (const result of leaf.results) {
      const service = serviceOf(result.id);
      if (service === undefined || service === '') continue;
      const tally = tallyOf(service);
      const groups = tally.issues.get(track) ?? STATE_GROUPS.map(() => new Set<string>());
      tally.issues.set(track, groups);
      const group = stateGroupOf(stateOf(result.id));
      if (group !== undefined) groups[group]!.add(result.id);
      tally.all.add(result.id);
    }
    if (leaf.filter.states)
      for (const service of leaf.filter.includeServices ?? []) tallyOf(service).dividedByState = true;
    if (leaf.to - leaf.from >= bucketLength) continue;
    // Every service a window searched in full, whether alone or sharing the window with others.
    const named = leaf.filter.anyOf ? [] : (leaf.filter.includeServices ?? []);
    for (const service of named) {
      const tally = tallyOf(service);
      const addWindow = (key: string, inCell: (issueId: string) => boolean) => {
        const windows = tally.windows.get(key) ?? new Map<string, WindowIssues>();
        tally.windows.set(key, windows);
        const window = windowOfLeaf(windows, leaf, bucketLength);
        tally.searches.set(key, (tally.searches.get(key) ?? 0) + 1);
        for (const result of leaf.results)
          if (serviceOf(result.id) === service && inCell(result.id)) window.issues.add(result.id);
      };
      // A window of one track counts for that track, and, with the other tracks' windows of its range,
      // for the service searched in every track at once.
      const tracks = new Set<Track | ''>([track, '']);
      if (!leaf.filter.states) for (const key of tracks) addWindow(cellKey(key), () => true);
      STATE_GROUPS.forEach((states, group) => {
        if (leaf.filter.states && !leaf.filter.states.some((state) => states.includes(state))) return;
        for (const key of tracks)
          addWindow(cellKey(key, group), (issueId) => stateGroupOf(stateOf(issueId)) === group);
      });
    }
  }
  const observed = new Map<string, ServiceStates>();
  for (const [service, tally] of tallies) {
    const errorRates = new Map<string, number>();
    for (const [key, windows] of tally.windows) {
      const errorRate = errorRateOf(windows.values());
      if (errorRate !== undefined) errorRates.set(key, errorRate);
    }
    observed.set(service, {
      // A service found in one track is searched in every track at once: the others would be empty searches.
      tracked: !tally.issues.has('') && tally.issues.size > 1,
      issues: new Map(
        [...tally.issues].map(([track, groups]) => [track, groups.map((issues) => issues.size)]),
      ),
      allIssues: tally.all.size,
      errorRates,
      timeWindowSearches: tally.searches,
      dividedByState: tally.dividedByState,
    });
  }
  return observed;
}
