import { SEARCH_RESULT_CAP, TRACKS, type Track } from '../datadog/types';
import type { Bucket } from './buckets';
import type { LeafWindow } from './enumerate';
import {
  blendObservations,
  divisionByTime,
  type ErrorTypeObservation,
  observeErrorTypes,
  planByErrorType,
  TIME_DIVISIBLE_ABOVE,
  TIME_WINDOWS_ABOVE,
  type TimeDivision,
  timeDivision,
  withoutErrorTypes,
} from './error-type-plan';
import { IssueActivity, type IssueFacts } from './issue-activity';
import type { SearchFilter } from './query';
import { describeScope, type SearchScope } from './scope';
import { FIRST_SEARCH_LIMIT, LATER_SEARCH_LIMIT, piecesByClass } from './search-plan';
import { MAX_SERVICES_EXCLUDED, packServices, type SearchWindow } from './split';
import { cellKey, observeServiceStates, type ServiceStates, STATE_GROUPS, stateGroupOf } from './state-plan';

/**
 * Windows the plan fixes in advance (time windows, tracks) are sized like the first packed search: to what
 * one search holds with room for a bucket busier than the last.
 */
const PLANNED_WINDOW_LIMIT = FIRST_SEARCH_LIMIT;
/** A service (or service and track) with this many issues would likely saturate a whole-bucket search. */
const REPLAY_THRESHOLD = Math.floor(SEARCH_RESULT_CAP * 0.95);

interface ReplayWindow {
  /** Offsets from the bucket start, so the window can be moved to any later bucket. */
  readonly fromOffset: number;
  readonly toOffset: number;
  readonly filter: SearchFilter;
  readonly issues: number;
}

/** A planned search and the issues it found in the bucket before. */
export interface ExpectedWindow extends SearchWindow {
  readonly expected: number;
}

/**
 * How a bucket is searched. Fixed windows (time windows, tracks, one unfiltered search) are searched as
 * planned; pieces (a service, or some of its error types, or every service not named) are packed into
 * whole-bucket searches as the searches show how much busier than planned the bucket is (see `searchPlan`).
 */
export interface BucketPlan {
  readonly fixed: readonly ExpectedWindow[];
  /** The issues each piece is expected to hold, going by the buckets before. */
  readonly pieces: readonly number[];
  /** One search of the whole bucket that finds exactly the issues of these pieces. */
  windowOf(pieces: readonly number[]): SearchWindow;
  /** The piece an issue of this service, error type and state belongs to; `undefined` for fixed windows' issues. */
  pieceOf(
    service: string | undefined,
    errorType: string | undefined,
    state?: string,
    /** The track the issue was searched in, when the search named one. */
    track?: Track,
  ): number | undefined;
  /**
   * Pieces of different classes are never searched together: they search different `states` or `track`,
   * fields of the request that one search cannot vary. Without classes, any pieces may share a search.
   */
  readonly classes?: readonly string[];
  /**
   * Pieces that one search may not hold and no facet divides (one error type of one service): they are
   * searched last, when the bucket's growth is known, and in time windows when expected to saturate.
   */
  readonly divisibleByTime?: ReadonlySet<number>;
  /**
   * Time windows that together find a divisible piece's issues, if it is expected to hold this many: as
   * few as hold it, or exactly `windows` equal ones (the same windows for every piece, so that pieces
   * can share them).
   */
  divideByTime?(piece: number, expected: number, windows?: number): readonly ExpectedWindow[] | undefined;
  /** Nothing to plan from: the bucket's own first search, if saturated, is the sample to plan from. */
  readonly discover?: boolean;
  /** Made from a sample of the bucket itself rather than from the bucket before. */
  readonly fromSample?: boolean;
  /**
   * The bucket is expected to fit in one search: every piece is searched together first, unfiltered, and
   * the pieces only divide the bucket should that search saturate.
   */
  readonly togetherFirst?: boolean;
  /**
   * The share of the bucket before's issues that erred fewer than `count` times in it. A saturated search
   * shows the loudest 100 issues; when even the quietest of them erred that often (in a burst, say), the
   * issues as quiet as most were in the bucket before are all still hidden behind them.
   */
  quieterShare?(count: number): number;
}

/**
 * A bucket expected to hold at most this many issues is searched whole first: one search that likely
 * fits costs less than two that surely do, and should it saturate, the plan still divides the bucket
 * from what the bucket before held rather than from a sample of the loudest issues.
 */
const ONE_SEARCH_LIMIT = 95;
/** Below this, the bucket before says too little about how the bucket divides: a saturated search does. */
const PLANNABLE_ISSUES = 30;

/**
 * Searches every piece of a plan together first, as one unfiltered search, when they likely fit in one:
 * when the plan's pieces say so, or the issue-by-issue prediction alone does. The pieces average that
 * prediction with the bucket before's counts, and after a burst the counts still hold it: on bursty
 * 200-issue orgs, trusting either estimate that says one search saved 5 % of searches.
 */
function togetherFirstWhenSmall(
  plan: BucketPlan,
  bucket: Bucket,
  predictedIssues = Number.POSITIVE_INFINITY,
): BucketPlan {
  const planned = plan.pieces.reduce((sum, issues) => sum + issues, 0);
  const expected = Math.min(planned, predictedIssues);
  if (plan.fixed.length > 0 || expected > ONE_SEARCH_LIMIT) return plan;
  return {
    ...plan,
    togetherFirst: true,
    windowOf: (pieces) =>
      pieces.length === plan.pieces.length
        ? { from: bucket.start, to: bucket.end, filter: {} }
        : plan.windowOf(pieces),
  };
}

/** One search of the whole bucket; with `discover`, a saturated one is the sample a plan is made from. */
export function wholeBucketPlan(bucket: Bucket, discover: boolean): BucketPlan {
  return {
    fixed: [{ from: bucket.start, to: bucket.end, filter: {}, expected: 0 }],
    pieces: [],
    windowOf: () => ({ from: bucket.start, to: bucket.end, filter: {} }),
    pieceOf: () => undefined,
    ...(discover ? { discover } : {}),
  };
}

/** A window to search in the next bucket, placed in this one, with the issues it is expected to hold. */
interface PlannedSpan {
  readonly from: number;
  readonly to: number;
  readonly filter: SearchFilter;
  readonly issues: number;
}

interface Observation {
  readonly bucketStart: number;
  /** Issues per service, for services whose issues fit in a whole-bucket search without a track. */
  readonly untracked: ReadonlyMap<string, number>;
  /** Issues per service and track, for services that had to be searched track by track. */
  readonly byTrack: ReadonlyMap<Track, ReadonlyMap<string, number>>;
  /**
   * Services so dense they were split by time or error type too: the windows that finally fit, to search
   * again. A track whose windows merged back into one whole-bucket window is planned in `byTrack` instead.
   */
  readonly replay: ReadonlyMap<string, readonly ReplayWindow[]>;
  readonly totalIssues: number;
  /** Issues without a service: only a remainder finds them. */
  readonly withoutService: number;
  /** Set while the API accepts error-type searches: the plan then packs services and error types. */
  readonly errorTypes?: ErrorTypeObservation;
  /** Without error types: each service's issues by state, to divide a busy service by state instead. */
  readonly states?: ReadonlyMap<string, ServiceStates>;
}

/**
 * A service is worth replaying when a search of its own had to be split by time or error type and a whole-bucket search
 * (or one per track, when it was split by track) would most likely saturate again.
 */
function needsReplay(own: readonly LeafWindow[], bucket: Bucket): boolean {
  const splitBeyondTrack = own.some(
    (leaf) =>
      leaf.from !== bucket.start ||
      leaf.to !== bucket.end ||
      leaf.filter.includeErrorTypes !== undefined ||
      leaf.filter.excludeErrorTypes !== undefined,
  );
  if (!splitBeyondTrack) return false;
  const distinct = (selected: readonly LeafWindow[]) =>
    new Set(selected.flatMap((leaf) => leaf.results.map((result) => result.id))).size;
  const untrackedLeaves = own.filter((leaf) => leaf.filter.track === undefined);
  // Leaves without a track cannot tell how a per-track search would divide their issues.
  if (untrackedLeaves.length > 0) return distinct(own) >= REPLAY_THRESHOLD;
  return TRACKS.some(
    (track) => distinct(own.filter((leaf) => leaf.filter.track === track)) >= REPLAY_THRESHOLD,
  );
}

/**
 * Replaying a service's windows is only safe when they cover the whole bucket on every track: the plan
 * excludes the service from the remainder, so anything its windows miss would never be searched. Its
 * windows can fall short when the service was first named inside half of a split remainder, for one.
 */
function coversBucket(own: readonly LeafWindow[], bucket: Bucket): boolean {
  return TRACKS.every((track) => {
    const intervals = own
      .filter((leaf) => leaf.filter.track === undefined || leaf.filter.track === track)
      .map((leaf) => [leaf.from, leaf.to] as const)
      .sort((a, b) => a[0] - b[0]);
    let coveredTo = bucket.start;
    for (const [from, to] of intervals) {
      if (from > coveredTo) return false;
      coveredTo = Math.max(coveredTo, to);
    }
    return coveredTo >= bucket.end;
  });
}

/**
 * Adjacent windows of the same filter that together held few distinct issues are searched as one next
 * time: a time split is only needed where the issues are, so a quiet track or hour need not pay for it
 * again, and halves that saw the same continuously erroring issues cost no more as one window.
 */
function mergeQuietNeighbours(own: readonly LeafWindow[]): PlannedSpan[] {
  const byFilter = new Map<string, LeafWindow[]>();
  for (const leaf of own) {
    const key = JSON.stringify(leaf.filter);
    byFilter.set(key, [...(byFilter.get(key) ?? []), leaf]);
  }
  const windows: PlannedSpan[] = [];
  for (const leaves of byFilter.values()) {
    const ordered = [...leaves].sort((a, b) => a.from - b.from);
    let current: { from: number; to: number; filter: SearchFilter; issueIds: Set<string> } | undefined;
    const close = () => {
      if (current) windows.push({ ...current, issues: current.issueIds.size });
    };
    for (const leaf of ordered) {
      const ids = leaf.results.map((result) => result.id);
      if (current && current.to === leaf.from) {
        const union = new Set([...current.issueIds, ...ids]);
        if (union.size <= PLANNED_WINDOW_LIMIT) {
          current = { ...current, to: leaf.to, issueIds: union };
          continue;
        }
      }
      close();
      current = { from: leaf.from, to: leaf.to, filter: leaf.filter, issueIds: new Set(ids) };
    }
    close();
  }
  return windows;
}

/** Without a time split to learn from, the share of a service's issues assumed to error all bucket. */
const ASSUMED_CONTINUOUS_SHARE = 0.5;
const MAX_EVEN_WINDOWS = 16;

/**
 * Divides a service's bucket into equal time windows, per track when it was searched by track, sized by
 * its issue count and by how many of its issues erred in more than one window (those are found by every
 * window they erred in). A busy stretch of the last bucket, such as a burst, does not recur at the same
 * minutes, so its windows are not copied. `undefined` when the service was divided by another facet, or
 * when its issues error so continuously that time cannot divide them.
 */
function evenTimeDivision(
  own: readonly LeafWindow[],
  bucket: Bucket,
  service: string,
): PlannedSpan[] | undefined {
  const simple = own.every(
    (leaf) => !leaf.filter.states && !leaf.filter.includeErrorTypes && !leaf.filter.excludeErrorTypes,
  );
  if (!simple) return undefined;
  const tracked = own.every((leaf) => leaf.filter.track !== undefined);
  const strata = tracked ? TRACKS.map((track) => own.filter((leaf) => leaf.filter.track === track)) : [own];
  const continuousShare = (leaves: readonly LeafWindow[]): number | undefined => {
    const distinct = new Set(leaves.flatMap((leaf) => leaf.results.map((result) => result.id))).size;
    const found = leaves.reduce((sum, leaf) => sum + leaf.results.length, 0);
    if (leaves.length < 2 || distinct === 0) return undefined;
    return Math.min(1, Math.max(0, (found / distinct - 1) / (leaves.length - 1)));
  };
  const serviceShare = continuousShare(own) ?? ASSUMED_CONTINUOUS_SHARE;
  const spans: PlannedSpan[] = [];
  for (const leaves of strata) {
    const track = tracked ? leaves[0]?.filter.track : undefined;
    if (tracked && track === undefined) continue;
    const issues = new Set(leaves.flatMap((leaf) => leaf.results.map((result) => result.id))).size;
    const share = continuousShare(leaves) ?? serviceShare;
    const perWindow = (windows: number) => issues * (1 / windows + (1 - 1 / windows) * share);
    let windows = 1;
    while (perWindow(windows) > PLANNED_WINDOW_LIMIT && windows < MAX_EVEN_WINDOWS) windows += 1;
    if (perWindow(windows) > PLANNED_WINDOW_LIMIT) return undefined;
    const length = bucket.end - bucket.start;
    const filter: SearchFilter = track
      ? { includeServices: [service], track }
      : { includeServices: [service] };
    for (let index = 0; index < windows; index++) {
      spans.push({
        from: bucket.start + Math.floor((index * length) / windows),
        to: bucket.start + Math.floor(((index + 1) * length) / windows),
        filter,
        issues: Math.round(perWindow(windows)),
      });
    }
  }
  return spans;
}

function distinctCount(sets: Map<string, Set<string>>): Map<string, number> {
  return new Map([...sets].map(([service, issues]) => [service, issues.size]));
}

function addIssue(target: Map<string, Set<string>>, service: string, issueId: string): void {
  const issues = target.get(service) ?? new Set<string>();
  issues.add(issueId);
  target.set(service, issues);
}

/** An observation planned by service and error type; the division by track and time is not needed then. */
function byErrorType(
  bucketStart: number,
  totalIssues: number,
  errorTypes: ErrorTypeObservation,
): Observation {
  return {
    bucketStart,
    untracked: new Map(),
    byTrack: new Map(),
    replay: new Map(),
    totalIssues,
    withoutService: errorTypes.withoutService,
    errorTypes,
  };
}

/** How a bucket divided by service, track and time, for plans without error types. */
function observeServices(
  bucket: Bucket,
  leaves: readonly LeafWindow[],
  serviceOf: (issueId: string) => string | undefined,
  stateOf: (issueId: string) => string | undefined,
): Observation {
  const untracked = new Map<string, Set<string>>();
  const byTrack = new Map<Track, Map<string, Set<string>>>(TRACKS.map((track) => [track, new Map()]));
  const ownLeaves = new Map<string, LeafWindow[]>();
  const allIssues = new Set<string>();
  const withoutService = new Set<string>();
  for (const leaf of leaves) {
    // Each service's share of a group search is a window of its own: together they cover the service.
    for (const service of leaf.filter.includeServices ?? []) {
      const own: LeafWindow = {
        ...leaf,
        filter: { ...leaf.filter, includeServices: [service] },
        results: leaf.results.filter((result) => serviceOf(result.id) === service),
      };
      ownLeaves.set(service, [...(ownLeaves.get(service) ?? []), own]);
    }
    for (const result of leaf.results) {
      allIssues.add(result.id);
      const service = serviceOf(result.id);
      if (service === undefined || service === '') {
        withoutService.add(result.id);
        continue;
      }
      addIssue(leaf.filter.track ? byTrack.get(leaf.filter.track)! : untracked, service, result.id);
    }
  }
  const replay = new Map<string, ReplayWindow[]>();
  const replayedTracks: Array<{ track: Track; service: string; issues: number }> = [];
  for (const [service, own] of ownLeaves) {
    // A state split is only safe while the run has seen no undocumented state; it is re-decided each time.
    if (own.some((leaf) => leaf.filter.states)) continue;
    if (!needsReplay(own, bucket) || !coversBucket(own, bucket)) continue;
    const windows: ReplayWindow[] = [];
    for (const window of evenTimeDivision(own, bucket, service) ?? mergeQuietNeighbours(own)) {
      const { track } = window.filter;
      const wholeTrack =
        track !== undefined &&
        window.from === bucket.start &&
        window.to === bucket.end &&
        !window.filter.states &&
        !window.filter.includeErrorTypes &&
        !window.filter.excludeErrorTypes;
      // A whole track of the service in one window packs with other services' searches of that track.
      if (wholeTrack) replayedTracks.push({ track, service, issues: window.issues });
      else
        windows.push({
          fromOffset: window.from - bucket.start,
          toOffset: window.to - bucket.start,
          filter: window.filter,
          issues: window.issues,
        });
    }
    replay.set(service, windows);
    untracked.delete(service);
    for (const services of byTrack.values()) services.delete(service);
  }
  const trackedServices = new Set([...byTrack.values()].flatMap((services) => [...services.keys()]));
  for (const service of trackedServices) untracked.delete(service);
  const trackCounts = new Map(
    TRACKS.map((track) => {
      const counts = distinctCount(byTrack.get(track)!);
      for (const service of trackedServices) if (!counts.has(service)) counts.set(service, 0);
      return [track, counts] as const;
    }),
  );
  for (const { track, service, issues } of replayedTracks) trackCounts.get(track)!.set(service, issues);
  return {
    bucketStart: bucket.start,
    untracked: distinctCount(untracked),
    byTrack: trackCounts,
    replay,
    totalIssues: allIssues.size,
    withoutService: withoutService.size,
    states: observeServiceStates(leaves, bucket.end - bucket.start, serviceOf, stateOf),
  };
}

/** A service expected to hold more issues than this is divided by state, when states can divide it. */
const STATE_DIVISION_ABOVE = TIME_WINDOWS_ABOVE;

/** A piece of a plan without error types: a whole service, or the issues of one state group of one. */
interface ServicePiece {
  readonly service?: string;
  /** Set on a service's part: searched in one track, or in one state group, or both. */
  readonly track?: Track;
  readonly stateGroup?: number;
  readonly issues: number;
}

/** Pieces of one class share a search: the same track and states searched (`''` for whole services). */
function classOf(piece: ServicePiece): string {
  if (piece.track === undefined && piece.stateGroup === undefined) return '';
  return `${piece.track ?? ''}|${piece.stateGroup ?? ''}`;
}

/**
 * Plans a bucket without error types from how the one before divided by service, track, state and time.
 * Services are pieces, packed into searches by `searchPlan`; the last piece is every service not known,
 * found by excluding the others (it also catches services never seen before, at no extra search). A busy
 * service in one track that time windows divided is divided into equal windows again, sized by how often
 * its issues erred. A busy service whose search had to be divided by state (its issues err all hour) is
 * divided into its state groups, per track when it errs in several, while `statesDivide` holds: each
 * group packs with the same group of other services, and one too big for a search is divided by time
 * like a service. Any other busy service replays the windows by track and time that fit the bucket before.
 */
function planByService(
  observation: Observation,
  bucket: Bucket,
  /** False once the run has seen an issue in a state the `states` field does not accept. */
  statesDivide: boolean,
  /** Issues expected issue by issue (see `IssueActivity`), by service and state group. */
  predicted: ErrorTypeObservation | undefined,
  /** Services the remainder may exclude. */
  maxExcluded: number,
): BucketPlan {
  // Issue by issue and by counts, each misses differently; their average misses least.
  const blend = (counted: number, service: string, group?: number) => {
    const expected = predicted?.services.get(service);
    if (!predicted) return counted;
    const issues = group === undefined ? (expected?.total ?? 0) : (expected?.byType.get(String(group)) ?? 0);
    return (counted + issues) / 2;
  };
  const whole = (filter: SearchFilter): SearchWindow => ({ from: bucket.start, to: bucket.end, filter });
  const states = observation.states;
  // How each busy service is divided: by state group, by time as a whole, or (absent) as the bucket before.
  const divisionOf = new Map<string, 'state' | TimeDivision>();
  for (const [service, serviceStates] of states ?? []) {
    if (statesDivide && serviceStates.dividedByState) {
      divisionOf.set(service, 'state');
      continue;
    }
    const errorRate = serviceStates.errorRates.get(cellKey(''));
    if (serviceStates.tracked || errorRate === undefined || serviceStates.allIssues <= TIME_DIVISIBLE_ABOVE)
      continue;
    // A service in one track searched in time windows is divided by time again, sized by its rate, unless
    // its issues err so often that no windows would divide them (those replay what fit the bucket before).
    const windowsOf = timeDivision(
      bucket,
      { includeServices: [service] },
      errorRate,
      serviceStates.timeWindowSearches.get(cellKey('')),
    );
    if (windowsOf(serviceStates.allIssues)) divisionOf.set(service, windowsOf);
  }
  const planned = (service: string) => divisionOf.has(service);
  const fixed: ExpectedWindow[] = [];
  for (const [service, replayed] of observation.replay) {
    if (planned(service)) continue;
    for (const window of replayed) {
      fixed.push({
        from: bucket.start + window.fromOffset,
        to: bucket.start + window.toOffset,
        filter: window.filter,
        expected: window.issues,
      });
    }
  }
  const everyService = new Set([
    ...observation.untracked.keys(),
    ...observation.replay.keys(),
    ...[...observation.byTrack.values()].flatMap((counts) => [...counts.keys()]),
  ]);
  // The remainder excludes every service the plan names, so in a big org the quietest are left to it
  // (it searches every track) rather than named.
  const expectedOf = (service: string) => {
    const counted = observation.untracked.get(service);
    if (counted !== undefined) return blend(counted, service);
    return [...observation.byTrack.values()].reduce((sum, counts) => sum + (counts.get(service) ?? 0), 0);
  };
  const quietestFirst = [...everyService]
    .filter((service) => !planned(service) && !observation.replay.has(service))
    .map((service): [string, number] => [service, expectedOf(service)])
    .sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? 1 : -1));
  const unnamed = quietestFirst.slice(0, Math.max(0, everyService.size - maxExcluded));
  const unnamedIssues = unnamed.reduce((sum, [, issues]) => sum + issues, 0);
  const leftToRemainder = new Set(unnamed.map(([service]) => service));
  const knownServices = [...everyService].filter((service) => !leftToRemainder.has(service)).sort();
  for (const [track, all] of observation.byTrack) {
    const counts = new Map(
      [...all].filter(([service]) => !planned(service) && !leftToRemainder.has(service)),
    );
    if (counts.size === 0) continue;
    for (const services of packServices(counts, PLANNED_WINDOW_LIMIT)) {
      const expected = services.reduce((sum, service) => sum + (counts.get(service) ?? 0), 0);
      fixed.push({ ...whole({ includeServices: services, track }), expected });
    }
  }
  if (knownServices.length === 0) return wholeBucketPlan(bucket, false);
  const pieces: ServicePiece[] = [];
  const divisible = new Map<number, TimeDivision>();
  const pieceOfService = new Map<string, number>();
  // A state-divided service's parts, by track ('' for every track) and state group ('' for every state).
  const partsOfService = new Map<string, Map<string, number>>();
  for (const service of knownServices) {
    const division = divisionOf.get(service);
    if (division instanceof Function) {
      const index = pieces.push({ service, issues: blend(states!.get(service)!.allIssues, service) }) - 1;
      pieceOfService.set(service, index);
      divisible.set(index, division);
      continue;
    }
    const serviceStates = division === 'state' ? states?.get(service) : undefined;
    if (!serviceStates) {
      const counted = observation.untracked.get(service);
      if (counted !== undefined)
        pieceOfService.set(service, pieces.push({ service, issues: blend(counted, service) }) - 1);
      continue;
    }
    const parts = new Map<string, number>();
    partsOfService.set(service, parts);
    const tracks: Array<Track | ''> = serviceStates.tracked ? [...TRACKS] : [''];
    for (const track of tracks) {
      const groups = STATE_GROUPS.map((_, group) => {
        if (serviceStates.tracked) return serviceStates.issues.get(track)?.[group] ?? 0;
        const counted = [...serviceStates.issues.values()].reduce(
          (sum, issues) => sum + (issues[group] ?? 0),
          0,
        );
        return blend(counted, service, group);
      });
      const total = groups.reduce((sum, issues) => sum + issues, 0);
      const inTrack = track === '' ? {} : { track };
      if (total <= STATE_DIVISION_ABOVE) {
        const index = pieces.push({ service, ...inTrack, issues: total }) - 1;
        if (track === '') pieceOfService.set(service, index);
        else parts.set(`${track}|`, index);
        continue;
      }
      STATE_GROUPS.forEach((stateGroup, group) => {
        const issues = groups[group]!;
        const index = pieces.push({ service, ...inTrack, stateGroup: group, issues }) - 1;
        parts.set(`${track}|${group}`, index);
        const errorRate = serviceStates.errorRates.get(cellKey(track, group));
        if (errorRate === undefined || issues <= TIME_DIVISIBLE_ABOVE) return;
        const filter: SearchFilter = { includeServices: [service], ...inTrack, states: [...stateGroup] };
        divisible.set(
          index,
          timeDivision(
            bucket,
            filter,
            errorRate,
            serviceStates.timeWindowSearches.get(cellKey(track, group)),
          ),
        );
      });
    }
  }
  const remainder = pieces.push({ issues: unnamedIssues + observation.withoutService }) - 1;
  const known = new Set(knownServices);
  return togetherFirstWhenSmall(
    {
      fixed,
      pieces: pieces.map((piece) => piece.issues),
      classes: pieces.map(classOf),
      ...divisionByTime(divisible),
      windowOf(group) {
        const named = group.filter((piece) => piece !== remainder).map((piece) => pieces[piece]!.service!);
        const { track, stateGroup } = pieces[group[0]!]!;
        if (track !== undefined || stateGroup !== undefined)
          return whole({
            includeServices: named.sort(),
            ...(track === undefined ? {} : { track }),
            ...(stateGroup === undefined ? {} : { states: [...STATE_GROUPS[stateGroup]!] }),
          });
        if (!group.includes(remainder)) return whole({ includeServices: named });
        const included = new Set(named);
        return whole({ excludeServices: knownServices.filter((service) => !included.has(service)) });
      },
      pieceOf(service, _errorType, state, track) {
        if (service === undefined || !known.has(service)) return remainder;
        const parts = partsOfService.get(service);
        if (!parts) return pieceOfService.get(service);
        const trackKey = track ?? '';
        const group = stateGroupOf(state);
        return (
          (group === undefined ? undefined : parts.get(`${trackKey}|${group}`)) ??
          parts.get(`${trackKey}|`) ??
          (trackKey === '' ? pieceOfService.get(service) : undefined)
        );
      },
    },
    bucket,
    predicted?.totalIssues,
  );
}

/**
 * Remembers how the most recent fully enumerated bucket divided, so the next bucket starts with that
 * division instead of rediscovering it from saturated searches: services packed by their issue counts,
 * services too big for one search split by track, and services too dense even for that split into the
 * same time windows again. Activity changes slowly from one bucket to the next, so the plan usually fits,
 * and a part that does not fit is simply split further.
 */
export class ServiceDensityModel {
  private readonly latest = new Map<string, Observation>();
  private readonly activity = new Map<string, IssueActivity>();
  /** The same, for plans without error types: issues by service and state group. */
  private readonly stateActivity = new Map<string, IssueActivity>();
  /** Scopes that showed an issue in a state the `states` field does not accept: never divided by state. */
  private readonly undocumentedStates = new Set<string>();
  /** Each issue's errors in the latest bucket recorded, fewest first. */
  private readonly issueErrors = new Map<string, readonly number[]>();

  record(
    scope: SearchScope,
    bucket: Bucket,
    leaves: readonly LeafWindow[],
    /** What the bucket's searches said of each issue found; first and last errors only plans read. */
    factsOf: (issueId: string) => IssueFacts,
    /** False once the API has refused the error-type facet: the plan is then by service, track and time. */
    errorTypesAccepted: boolean,
  ): void {
    const key = describeScope(scope);
    const previous = this.latest.get(key);
    if (previous && previous.bucketStart > bucket.start) return;
    const serviceOf = (issueId: string) => factsOf(issueId).service;
    const stateOf = (issueId: string) => factsOf(issueId).state;
    const undocumented = leaves.some((leaf) =>
      leaf.results.some((result) => stateGroupOf(stateOf(result.id)) === undefined),
    );
    if (undocumented) this.undocumentedStates.add(key);
    this.issueErrors.set(key, errorsByIssue(leaves));
    if (!errorTypesAccepted) {
      this.latest.set(key, observeServices(bucket, leaves, serviceOf, stateOf));
      // Issue by issue, by state group in place of error type: what the plan divides busy services by.
      const byState =
        this.stateActivity.get(key) ?? new IssueActivity((facts) => String(stateGroupOf(facts.state) ?? ''));
      this.stateActivity.set(key, byState);
      byState.record(
        bucket,
        leaves.flatMap((leaf) => leaf.results.map((result) => result.id)),
        factsOf,
      );
      return;
    }
    const errorTypeOf = (issueId: string) => factsOf(issueId).errorType;
    const activity = this.activity.get(key) ?? new IssueActivity();
    this.activity.set(key, activity);
    activity.record(
      bucket,
      leaves.flatMap((leaf) => leaf.results.map((result) => result.id)),
      factsOf,
    );
    const observed = observeErrorTypes(leaves, serviceOf, errorTypeOf, bucket, previous?.errorTypes);
    const bucketBefore = previous?.bucketStart === bucket.start - (bucket.end - bucket.start);
    this.latest.set(
      key,
      byErrorType(
        bucket.start,
        observed.totalIssues,
        blendObservations(observed, bucketBefore ? previous.errorTypes : undefined),
      ),
    );
  }

  /**
   * The windows to start a bucket with: one unfiltered search when the last bucket fit in one, else one
   * per replayed window, per track group and per packed service group. The smallest untracked group
   * doubles as the remainder (`-service:(every other known service)`), which also catches services never
   * seen before, at no extra search.
   */
  plan(
    scope: SearchScope,
    bucket: Bucket,
    /** States the run has seen so far; one the `states` field does not accept stops division by state. */
    statesSeenInRun: ReadonlySet<string> = new Set(),
    /** False once the API has refused or ignored the `states` field in this run. */
    statesSupported = true,
    /** False until a search of the run has shown that the API applies the error-type facet. */
    errorTypesProven = true,
    /** Services a remainder may exclude: lower once the API refused a remainder excluding as many. */
    maxExcluded = MAX_SERVICES_EXCLUDED,
    /**
     * Once the run pages saturated windows, a bucket expected to hold at most this many issues is one
     * search of the whole bucket, paged: one search a hundred issues, whatever the bucket turns out to
     * hold, where a plan's pieces must each be predicted to fit. 0 while the run does not page.
     */
    pagedUpTo = 0,
  ): BucketPlan {
    const observation = this.latest.get(describeScope(scope));
    if (!observation || observation.totalIssues < PLANNABLE_ISSUES) {
      return wholeBucketPlan(bucket, true);
    }
    const paged = (expectedIssues: number) =>
      expectedIssues <= pagedUpTo ? wholeBucketPlan(bucket, false) : undefined;
    if (observation.errorTypes) {
      // Issue by issue and by counts, each misses differently; their average misses least.
      const predicted = this.activity.get(describeScope(scope))?.predict(bucket, observation.errorTypes);
      const expected = predicted
        ? blendObservations(predicted, observation.errorTypes)
        : observation.errorTypes;
      const pagedPlan = paged(expected.totalIssues);
      if (pagedPlan) return pagedPlan;
      // A plan naming error types before any search proved the facet begins with a search of the whole
      // bucket (see `enumerateBucket`); while every service fits a search, whole services need none.
      const servicesFit = [...expected.services.values()].every(
        (counts) => counts.total <= FIRST_SEARCH_LIMIT,
      );
      return this.withIssueErrors(
        scope,
        togetherFirstWhenSmall(
          planByErrorType(
            !errorTypesProven && servicesFit ? withoutErrorTypes(expected) : expected,
            bucket,
            true,
            new Set(),
            maxExcluded,
          ),
          bucket,
          predicted?.totalIssues,
        ),
      );
    }
    const predicted = this.stateActivity
      .get(describeScope(scope))
      ?.predict(bucket, { services: new Map(), withoutService: 0, totalIssues: 0 });
    const pagedPlan = paged(
      predicted ? (predicted.totalIssues + observation.totalIssues) / 2 : observation.totalIssues,
    );
    if (pagedPlan) return pagedPlan;
    const statesDivide =
      statesSupported &&
      !this.undocumentedStates.has(describeScope(scope)) &&
      [...statesSeenInRun].every((state) => stateGroupOf(state) !== undefined);
    return this.withIssueErrors(
      scope,
      planByService(observation, bucket, statesDivide, predicted, maxExcluded),
    );
  }

  /** The plan, told how often the bucket before's issues erred (see `BucketPlan.quieterShare`). */
  private withIssueErrors(scope: SearchScope, plan: BucketPlan): BucketPlan {
    const errors = this.issueErrors.get(describeScope(scope));
    if (!errors || errors.length === 0) return plan;
    return { ...plan, quieterShare: (count) => fewerThan(errors, count) / errors.length };
  }

  /**
   * Starts the model from an observation saved by an earlier run. It is older than any bucket this run
   * records, so the first bucket recorded replaces it, and it is never averaged with one.
   */
  seed(scope: SearchScope, errorTypes: ErrorTypeObservation): void {
    this.latest.set(
      describeScope(scope),
      byErrorType(Number.NEGATIVE_INFINITY, errorTypes.totalIssues, errorTypes),
    );
  }

  /** What the latest bucket recorded in this run found by service and error type, if error types work. */
  latestErrorTypes(
    scope: SearchScope,
  ): { bucketStart: number; observation: ErrorTypeObservation } | undefined {
    const latest = this.latest.get(describeScope(scope));
    if (!latest?.errorTypes || !Number.isFinite(latest.bucketStart)) return undefined;
    return { bucketStart: latest.bucketStart, observation: latest.errorTypes };
  }

  /** The plan's windows when the bucket turns out as busy as the last. */
  initialWindows(scope: SearchScope, bucket: Bucket): SearchWindow[] {
    const plan = this.plan(scope, bucket);
    if (plan.togetherFirst) return [plan.windowOf(plan.pieces.map((_, piece) => piece))];
    const windows: SearchWindow[] = plan.fixed.map(({ expected: _expected, ...window }) => window);
    const whole: number[] = [];
    plan.pieces.forEach((issues, piece) => {
      const divided = plan.divisibleByTime?.has(piece) ? plan.divideByTime?.(piece, issues) : undefined;
      if (divided) windows.push(...divided.map(({ expected: _expected, ...window }) => window));
      else whole.push(piece);
    });
    for (const pieces of piecesByClass(plan, whole).values()) {
      const sizes = new Map(pieces.map((piece) => [String(piece), plan.pieces[piece]!]));
      for (const group of packServices(sizes, LATER_SEARCH_LIMIT))
        windows.push(plan.windowOf(group.map(Number)));
    }
    return windows;
  }
}

/** Each issue's errors in a bucket (summed over the windows it was found in), fewest first. */
function errorsByIssue(leaves: readonly LeafWindow[]): number[] {
  const errors = new Map<string, number>();
  for (const leaf of leaves)
    for (const result of leaf.results)
      errors.set(result.id, (errors.get(result.id) ?? 0) + (result.attributes.total_count ?? 0));
  return [...errors.values()].sort((a, b) => a - b);
}

/** How many of the ascending `values` are below `limit`. */
function fewerThan(values: readonly number[], limit: number): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (values[middle]! < limit) low = middle + 1;
    else high = middle;
  }
  return low;
}
