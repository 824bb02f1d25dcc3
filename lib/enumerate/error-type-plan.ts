import type { Bucket } from './buckets';
import type { BucketPlan, ExpectedWindow } from './density';
import type { LeafWindow } from './enumerate';
import type { FacetClause, SearchFilter } from './query';
import { LATER_SEARCH_LIMIT } from './search-plan';
import { clausesOf, MAX_SERVICES_EXCLUDED, MAX_SERVICES_PER_QUERY, packServices, withClauses } from './split';

/** One service's issues in a bucket, by error type. */
export interface ServiceErrorTypes {
  readonly total: number;
  readonly byType: ReadonlyMap<string, number>;
  /** Issues with an empty or missing error type, which no `@error.type:` term can name. */
  readonly untyped: number;
  /**
   * Issues of error types that the observation planned from had not shown for this service: what a plan's
   * search of the service's other types finds beyond its untyped issues. `undefined` when not measured.
   */
  readonly newTypes?: number;
  /**
   * For error types that had to be divided by time: how often each issue errs in a bucket, as the rate at
   * which a window of it finds them, which is what decides how many windows divide them next time.
   */
  readonly errorRates?: ReadonlyMap<string, number>;
  /**
   * How many searches those types' windows took, leaves divided further by track or state included: time
   * windows of a type that errs throughout are only worth it when they cost no more.
   */
  readonly timeWindowSearches?: ReadonlyMap<string, number>;
}

/** Every issue of a fully enumerated bucket, by service and error type. */
export interface ErrorTypeObservation {
  readonly services: ReadonlyMap<string, ServiceErrorTypes>;
  /** Issues with an empty or missing service, found only by a remainder that excludes named services. */
  readonly withoutService: number;
  readonly totalIssues: number;
}

/** Counts distinct issues by service and error type. */
function countIssues(
  issueIds: Iterable<string>,
  serviceOf: (issueId: string) => string | undefined,
  errorTypeOf: (issueId: string) => string | undefined,
): ErrorTypeObservation {
  const services = new Map<string, { total: number; byType: Map<string, number>; untyped: number }>();
  let withoutService = 0;
  let totalIssues = 0;
  for (const issueId of new Set(issueIds)) {
    totalIssues += 1;
    const service = serviceOf(issueId);
    if (service === undefined || service === '') {
      withoutService += 1;
      continue;
    }
    const counts = services.get(service) ?? { total: 0, byType: new Map<string, number>(), untyped: 0 };
    services.set(service, counts);
    counts.total += 1;
    const errorType = errorTypeOf(issueId);
    if (errorType === undefined || errorType === '') counts.untyped += 1;
    else counts.byType.set(errorType, (counts.byType.get(errorType) ?? 0) + 1);
  }
  return { services, withoutService, totalIssues };
}

/** Beyond this rate, time windows cannot divide a type's issues at any size worth searching. */
const MAX_ERROR_RATE = 1000;

/**
 * A window covering a share `f` of the bucket finds `issues × (1 − e^(−rate × f))` of a type's issues when
 * each errs at random moments, `rate` times a bucket on average: a window of a type erring throughout finds
 * nearly all of them, one of a type erring once finds its share. The rate that fits every window searched.
 */
function fitErrorRate(windows: ReadonlyArray<{ share: number; found: number }>, issues: number): number {
  const foundInAll = windows.reduce((sum, window) => sum + window.found, 0);
  const expectedAt = (rate: number) =>
    windows.reduce((sum, window) => sum + issues * (1 - Math.exp(-rate * window.share)), 0);
  let low = 0;
  let high = MAX_ERROR_RATE;
  if (expectedAt(high) <= foundInAll) return high;
  for (let step = 0; step < 50; step++) {
    const middle = (low + high) / 2;
    if (expectedAt(middle) < foundInAll) low = middle;
    else high = middle;
  }
  return (low + high) / 2;
}

/** The issues of one error type that one time window of a bucket found. */
export interface WindowIssues {
  /** The share of the bucket the window covers. */
  readonly share: number;
  readonly issues: Set<string>;
}

/** The window of a leaf's time range among `windows`, added when the first leaf of that range comes. */
export function windowOfLeaf(
  windows: Map<string, WindowIssues>,
  leaf: LeafWindow,
  bucketLength: number,
): WindowIssues {
  const range = `${leaf.from}-${leaf.to}`;
  const window = windows.get(range) ?? { share: (leaf.to - leaf.from) / bucketLength, issues: new Set() };
  windows.set(range, window);
  return window;
}

/** The error rate that fits what these windows found of one set of issues; `undefined` if they found none. */
export function errorRateOf(windows: Iterable<WindowIssues>): number | undefined {
  const all = [...windows];
  const distinct = new Set(all.flatMap((window) => [...window.issues])).size;
  if (distinct === 0) return undefined;
  return fitErrorRate(
    all.map((window) => ({ share: window.share, found: window.issues.size })),
    distinct,
  );
}

/** What a bucket's time windows showed of one service's error types. */
interface TimeWindowObservation {
  readonly errorRates: Map<string, number>;
  readonly timeWindowSearches: Map<string, number>;
}

/** The error rate of each error type that was searched in time windows, and its searches, by service. */
function observeTimeWindows(
  leaves: readonly LeafWindow[],
  bucketLength: number,
  serviceOf: (issueId: string) => string | undefined,
  errorTypeOf: (issueId: string) => string | undefined,
): Map<string, TimeWindowObservation> {
  // Per service and error type, the issues each time window found (its leaves split by track or state too).
  const types = new Map<
    string,
    { service: string; errorType: string; searches: number; windows: Map<string, WindowIssues> }
  >();
  for (const leaf of leaves) {
    // A whole-bucket leaf says how often its issues err only when time could not divide them: throughout.
    if (leaf.to - leaf.from >= bucketLength && !leaf.timeDense) continue;
    // Every error type a clause names in full, whether searched alone or sharing the window.
    const named = clausesOf(leaf.filter).flatMap(({ includeServices, includeErrorTypes }) =>
      (includeServices ?? []).flatMap((service) =>
        (includeErrorTypes ?? []).map((errorType) => [service, errorType] as const),
      ),
    );
    for (const [service, errorType] of named) {
      const key = JSON.stringify([service, errorType]);
      const type = types.get(key) ?? { service, errorType, searches: 0, windows: new Map() };
      types.set(key, type);
      type.searches += 1;
      const window = windowOfLeaf(type.windows, leaf, bucketLength);
      for (const result of leaf.results) {
        if (serviceOf(result.id) === service && errorTypeOf(result.id) === errorType)
          window.issues.add(result.id);
      }
    }
  }
  const byService = new Map<string, TimeWindowObservation>();
  for (const { service, errorType, searches, windows } of types.values()) {
    const errorRate = errorRateOf(windows.values());
    if (errorRate === undefined) continue;
    const observed = byService.get(service) ?? { errorRates: new Map(), timeWindowSearches: new Map() };
    byService.set(service, observed);
    observed.errorRates.set(errorType, errorRate);
    observed.timeWindowSearches.set(errorType, searches);
  }
  return byService;
}

export function observeErrorTypes(
  leaves: readonly LeafWindow[],
  serviceOf: (issueId: string) => string | undefined,
  errorTypeOf: (issueId: string) => string | undefined,
  bucket: Bucket,
  /** The observation this bucket was planned from, against which new error types are counted. */
  plannedFrom?: ErrorTypeObservation,
): ErrorTypeObservation {
  const observed = countIssues(
    leaves.flatMap((leaf) => leaf.results.map((result) => result.id)),
    serviceOf,
    errorTypeOf,
  );
  const timeWindows = observeTimeWindows(leaves, bucket.end - bucket.start, serviceOf, errorTypeOf);
  const services = new Map<string, ServiceErrorTypes>();
  for (const [service, counts] of observed.services) {
    const ofService = timeWindows.get(service);
    const known = plannedFrom?.services.get(service)?.byType;
    let newTypes: number | undefined;
    if (known) {
      newTypes = 0;
      for (const [type, count] of counts.byType) if (!known.has(type)) newTypes += count;
    }
    services.set(service, {
      ...counts,
      ...(newTypes === undefined ? {} : { newTypes }),
      ...ofService,
    });
  }
  return { ...observed, services };
}

/**
 * The average of two buckets' observations: one bucket's count of a small piece is a noisy estimate of
 * the next bucket's, and averaging two halves that noise's variance. Growth is measured separately.
 */
export function blendObservations(
  latest: ErrorTypeObservation,
  before: ErrorTypeObservation | undefined,
): ErrorTypeObservation {
  if (!before) return latest;
  const average = (a = 0, b = 0) => (a + b) / 2;
  // A piece seen in only one of the two counts half: quiet error types come and go from bucket to bucket.
  const services = new Map<string, ServiceErrorTypes>();
  for (const service of new Set([...latest.services.keys(), ...before.services.keys()])) {
    const now = latest.services.get(service);
    const earlier = before.services.get(service);
    const byType = new Map<string, number>();
    for (const type of new Set([...(now?.byType.keys() ?? []), ...(earlier?.byType.keys() ?? [])]))
      byType.set(type, average(now?.byType.get(type), earlier?.byType.get(type)));
    const newTypes =
      now?.newTypes === undefined || earlier?.newTypes === undefined
        ? (now?.newTypes ?? earlier?.newTypes)
        : average(now.newTypes, earlier.newTypes);
    // The latest bucket's division by time is the one to repeat; the one before fills in what it lacks.
    const errorRates = new Map([...(earlier?.errorRates ?? []), ...(now?.errorRates ?? [])]);
    const timeWindowSearches = new Map([
      ...(earlier?.timeWindowSearches ?? []),
      ...(now?.timeWindowSearches ?? []),
    ]);
    services.set(service, {
      total: average(now?.total, earlier?.total),
      byType,
      untyped: average(now?.untyped, earlier?.untyped),
      ...(newTypes === undefined ? {} : { newTypes }),
      ...(errorRates.size > 0 ? { errorRates } : {}),
      ...(timeWindowSearches.size > 0 ? { timeWindowSearches } : {}),
    });
  }
  return {
    services,
    withoutService: average(latest.withoutService, before.withoutService),
    totalIssues: average(latest.totalIssues, before.totalIssues),
  };
}

/** What one packed piece of the bucket covers. */
type Piece =
  | { readonly kind: 'service'; readonly service: string }
  | { readonly kind: 'types'; readonly service: string; readonly errorTypes: readonly string[] }
  /** The service's issues of every type not named in its other pieces, including types never seen. */
  | { readonly kind: 'rest'; readonly service: string }
  /** Every issue of a service not named anywhere in the plan, including services never seen. */
  | { readonly kind: 'remainder' };

interface SizedPiece {
  readonly piece: Piece;
  readonly issues: number;
}

/**
 * Services up to this size are packed whole; bigger ones are packed by error type, so that their pieces
 * can fill the room that whole services leave in a search.
 */
const WHOLE_SERVICE_LIMIT = 40;
/**
 * At most this many services are named in a plan, and this many error types of one service: the
 * remainders exclude every name, so their queries would otherwise grow with the org.
 */
const MAX_NAMED_SERVICES = MAX_SERVICES_PER_QUERY;
export const MAX_NAMED_ERROR_TYPES = 50;
/** Until measured, the share of a busy service's issues expected to be of error types not seen before. */
const NEW_TYPES_SHARE = 0.06;
/** A busy service's error types are bundled into pieces of up to this many issues. */
const TYPE_PIECE_LIMIT = 20;
/**
 * An error type expected to hold more issues than this would likely saturate a search of the whole bucket,
 * and one type cannot be divided by error type: it is searched in time windows from the start instead...
 */
export const TIME_WINDOWS_ABOVE = LATER_SEARCH_LIMIT;
/** ...and one that might grow that big is searched last, once the bucket's growth is known. */
export const TIME_DIVISIBLE_ABOVE = TIME_WINDOWS_ABOVE * 0.75;
/** Each time window of such a type is sized to hold about this many issues... */
const TIME_WINDOW_LIMIT = LATER_SEARCH_LIMIT;
/**
 * ...or this many, when its issues likely err in every window: such a window holds about every active
 * issue, and how many are active is known only roughly, for every window alike. Dense orgs without error
 * types, 400 issues in one and in two services, took 1,762 and 1,449 searches at 91 (two seeds each),
 * 1,390 and 1,030 at 85 with the room below; 600 issues in three services 1,808 → 1,466 (two other
 * seeds); 3,000 issues in three services with error types 2,218 → 1,977. Sparse and bursty orgs of one
 * or two services, whose windows each hold a different share of issues erring a few times an hour, took
 * 5 % more at 85 for every window.
 */
const CONTINUOUS_WINDOW_LIMIT = 85;
/**
 * Windows in which an issue errs with at least this chance hold issues erring throughout: at 0.5, the
 * one-service dense orgs above took 1,587 searches instead of 1,390; at 0.3, the sparse and bursty
 * two-service orgs 1 % more.
 */
const CONTINUOUS_SHARE = 0.4;
/**
 * At most this many windows, or a quarter more than the type's windows took the last time it was divided:
 * the growth a bucket shows needs the room (capped at as many as before, a division needing one more
 * window than that was given up, and the type divided blindly).
 */
const MAX_TIME_WINDOWS = 16;
const MORE_TIME_WINDOWS_THAN_BEFORE = 1.25;

/**
 * Time windows that together find a set of issues expected to number `issues`, as few as keep each under
 * the limit or exactly `windows` of them; `undefined` if none can, or not that many.
 */
export type TimeDivision = (issues: number, windows?: number) => ExpectedWindow[] | undefined;

/**
 * Equal time windows of one filter's issues (one service's error type, say), as few as keep each to
 * `TIME_WINDOW_LIMIT` issues (see `fitErrorRate`), or `undefined` when its issues error so often that
 * windows would not divide them.
 */
export function timeDivision(
  bucket: Bucket,
  filter: SearchFilter,
  errorRate: number,
  /** How many searches its windows took the last time it was divided. */
  searchesBefore = 0,
): TimeDivision {
  const maxWindows = Math.max(MAX_TIME_WINDOWS, Math.ceil(searchesBefore * MORE_TIME_WINDOWS_THAN_BEFORE));
  return (issues, exactly) => {
    const shareErring = (windows: number) => 1 - Math.exp(-errorRate / windows);
    const perWindow = (windows: number) => issues * shareErring(windows);
    const tooMany = (windows: number) => {
      const share = shareErring(windows);
      return issues * share > (share >= CONTINUOUS_SHARE ? CONTINUOUS_WINDOW_LIMIT : TIME_WINDOW_LIMIT);
    };
    let windows = exactly ?? 2;
    while (exactly === undefined && tooMany(windows) && windows < maxWindows) windows += 1;
    if (tooMany(windows) || windows > maxWindows) return undefined;
    const length = bucket.end - bucket.start;
    return Array.from({ length: windows }, (_, index) => ({
      from: bucket.start + Math.floor((index * length) / windows),
      to: bucket.start + Math.floor(((index + 1) * length) / windows),
      filter,
      expected: perWindow(windows),
    }));
  };
}

/** A plan's pieces that time may divide: each only when expected to hold more than one search does. */
export function divisionByTime(
  divisible: ReadonlyMap<number, TimeDivision>,
): Required<Pick<BucketPlan, 'divisibleByTime' | 'divideByTime'>> {
  return {
    divisibleByTime: new Set(divisible.keys()),
    divideByTime: (piece, expected, windows) =>
      expected > TIME_WINDOWS_ABOVE ? divisible.get(piece)?.(expected, windows) : undefined,
  };
}

/** The clauses that find exactly the issues of these pieces. */
function clausesForPieces(
  pieces: readonly Piece[],
  namedTypes: ReadonlyMap<string, readonly string[]>,
): FacetClause[] {
  const wholeServices = new Set<string>();
  const typesByService = new Map<string, Set<string>>();
  const restServices = new Set<string>();
  let remainder = false;
  for (const piece of pieces) {
    if (piece.kind === 'service') wholeServices.add(piece.service);
    else if (piece.kind === 'rest') restServices.add(piece.service);
    else if (piece.kind === 'remainder') remainder = true;
    else {
      const types = typesByService.get(piece.service) ?? new Set<string>();
      for (const type of piece.errorTypes) types.add(type);
      typesByService.set(piece.service, types);
    }
  }
  const clauses: FacetClause[] = [];
  const partial: FacetClause[] = [];
  for (const service of restServices) {
    // The rest of a service together with some of its types is the service minus its other types.
    const here = typesByService.get(service) ?? new Set<string>();
    typesByService.delete(service);
    const excluded = (namedTypes.get(service) ?? []).filter((type) => !here.has(type));
    if (excluded.length === 0) wholeServices.add(service);
    else partial.push({ includeServices: [service], excludeErrorTypes: excluded });
  }
  if (wholeServices.size > 0) clauses.push({ includeServices: [...wholeServices].sort() });
  for (const [service, types] of [...typesByService].sort(([a], [b]) => (a < b ? -1 : 1))) {
    clauses.push({ includeServices: [service], includeErrorTypes: [...types].sort() });
  }
  clauses.push(...partial.sort((a, b) => (a.includeServices![0]! < b.includeServices![0]! ? -1 : 1)));
  if (remainder) clauses.push({ excludeServices: [...namedTypes.keys()].sort() });
  return clauses;
}

/**
 * Plans a bucket from the service and error-type counts of the one before. Services and error types
 * partition the issues, so searches packed from them never return an issue twice, unlike time windows, and
 * every window covers the whole bucket, so impacted counts stay exact. The pieces are whole small services
 * and bundles of a busy service's error types, for `searchPlan` to pack; a service's remaining types (new
 * ones included) and services never seen (and issues without a service) are pieces too, so the plan covers
 * everything. An error type too big for one search gets one of its own, divided further if it saturates.
 */
export function planByErrorType(
  observation: ErrorTypeObservation,
  bucket: Bucket,
  /** False when another search already covers every service the observation does not name. */
  withRemainder = true,
  /**
   * Services whose issues of every type the observation does not name another search already found: the
   * plan names each of their types and leaves out their rest.
   */
  restSearched: ReadonlySet<string> = new Set(),
  /** Services the remainder may exclude: lower once the API refused a remainder as too long. */
  maxExcluded = MAX_SERVICES_EXCLUDED,
): BucketPlan {
  const pieces: SizedPiece[] = [];
  const divisible = new Map<number, TimeDivision>();
  const continuous = new Set<number>();
  const namedTypes = new Map<string, string[]>();
  const bySize = [...observation.services].sort((a, b) => b[1].total - a[1].total || (a[0] < b[0] ? -1 : 1));
  // In a big org the quietest services are left to the remainder, so that its query stays short.
  const named = withRemainder ? bySize.slice(0, Math.min(MAX_NAMED_SERVICES, maxExcluded)) : bySize;
  let unnamedIssues = observation.withoutService;
  for (const [, counts] of bySize.slice(named.length)) unnamedIssues += counts.total;
  const pieceOfService = new Map<string, number>();
  const pieceOfType = new Map<string, Map<string, number>>();
  for (const [service, counts] of named.sort(([a], [b]) => (a < b ? -1 : 1))) {
    namedTypes.set(service, []);
    const searchedRest = restSearched.has(service);
    if (counts.total <= WHOLE_SERVICE_LIMIT && !searchedRest) {
      pieceOfService.set(
        service,
        pieces.push({ piece: { kind: 'service', service }, issues: counts.total }) - 1,
      );
      continue;
    }
    // Likewise a service's rarest error types are left to its rest, so that the rest's query stays short.
    const types = [...counts.byType].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    const namedTypesOfService = new Map(searchedRest ? types : types.slice(0, MAX_NAMED_ERROR_TYPES));
    const unnamedTypes = types.slice(MAX_NAMED_ERROR_TYPES).reduce((sum, [, count]) => sum + count, 0);
    namedTypes.set(service, [...namedTypesOfService.keys()].sort());
    const typePieces = new Map<string, number>();
    pieceOfType.set(service, typePieces);
    // Types are bundled into pieces of a few issues each, which fill searches closely in few clauses.
    for (const errorTypes of packServices(namedTypesOfService, TYPE_PIECE_LIMIT)) {
      const issues = errorTypes.reduce((sum, type) => sum + (counts.byType.get(type) ?? 0), 0);
      const index = pieces.push({ piece: { kind: 'types', service, errorTypes }, issues }) - 1;
      for (const type of errorTypes) typePieces.set(type, index);
      // Only a type measured in time windows before: how often its issues err decides whether they help.
      const onlyType = errorTypes.length === 1 ? errorTypes[0] : undefined;
      const errorRate = onlyType === undefined ? undefined : counts.errorRates?.get(onlyType);
      if (onlyType !== undefined && issues > TIME_DIVISIBLE_ABOVE && errorRate !== undefined) {
        const windowsOf = timeDivision(
          bucket,
          { includeServices: [service], includeErrorTypes: [onlyType] },
          errorRate,
          counts.timeWindowSearches?.get(onlyType),
        );
        divisible.set(index, windowsOf);
        // Should it saturate, facets divide a type that errs throughout; halving the bucket would not.
        if (!windowsOf(issues)) continuous.add(index);
      }
    }
    if (searchedRest) continue;
    const newTypes = counts.newTypes ?? counts.total * NEW_TYPES_SHARE;
    pieceOfService.set(
      service,
      pieces.push({ piece: { kind: 'rest', service }, issues: counts.untyped + unnamedTypes + newTypes }) - 1,
    );
  }
  const remainder = withRemainder
    ? pieces.push({ piece: { kind: 'remainder' }, issues: unnamedIssues }) - 1
    : undefined;
  return {
    fixed: [],
    pieces: pieces.map((piece) => piece.issues),
    ...divisionByTime(divisible),
    windowOf: (group) => ({
      from: bucket.start,
      to: bucket.end,
      filter: withClauses(
        {},
        clausesForPieces(
          group.map((index) => pieces[index]!.piece),
          namedTypes,
        ),
      ),
      ...(group.length === 1 && continuous.has(group[0]!) ? { timeDense: true } : {}),
    }),
    pieceOf(service, errorType) {
      if (service === undefined || service === '' || !namedTypes.has(service)) return remainder;
      return (
        (errorType ? pieceOfType.get(service)?.get(errorType) : undefined) ?? pieceOfService.get(service)
      );
    },
  };
}

/** The issues a saturated search showed (the loudest 100 of a bucket), by service and error type. */
export type Sample = ErrorTypeObservation['services'];

export function sampleOf(
  issueIds: readonly string[],
  serviceOf: (issueId: string) => string | undefined,
  errorTypeOf: (issueId: string) => string | undefined,
): Sample {
  return countIssues(issueIds, serviceOf, errorTypeOf).services;
}

/** The least seen services whose issues a first unsaturated search can count: about this many were seen. */
const TAIL_SEEN = 14;
/** Error types a sample did not show are at least this share of a busy service's issues. */
const UNSEEN_TYPES_SHARE = 0.15;

/**
 * With no bucket before it, a bucket's plan starts from its own saturated search: the loudest 100 issues
 * show which services and error types are busy, but not how many issues hide behind each one shown. The
 * least seen services (and every service not seen) are searched first, as `-service:(the others)`; how
 * many issues that finds for each one it showed is the scale for the others. `undefined` when too few
 * services were seen to leave any out.
 */
export function splitSample(
  sample: Sample,
  /** Leave out the least seen service even when it alone was seen more than `TAIL_SEEN` times. */
  leaveOutOne = false,
): { head: string[]; tailSeen: number } | undefined {
  return splitShown(new Map([...sample].map(([service, counts]) => [service, counts.total])), leaveOutOne);
}

/** The values (services, or one service's error types) seen most, and how often the rest were seen. */
export function splitShown(
  shown: ReadonlyMap<string, number>,
  leaveOutOne = false,
): { head: string[]; tailSeen: number } | undefined {
  const bySeen = [...shown].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
  let tailSeen = 0;
  let tail = 0;
  while (
    tail < bySeen.length - 1 &&
    (tailSeen + bySeen[tail]![1] <= TAIL_SEEN || (leaveOutOne && tail === 0))
  ) {
    tailSeen += bySeen[tail]![1];
    tail += 1;
  }
  if (tail === 0) return undefined;
  return {
    head: bySeen
      .slice(tail)
      .map(([value]) => value)
      .sort(),
    tailSeen,
  };
}

/** The sample's head services, each issue shown standing for `scale` issues, as an observation to plan from. */
export function scaleSample(sample: Sample, head: readonly string[], scale: number): ErrorTypeObservation {
  const services = new Map<string, ServiceErrorTypes>();
  for (const service of head) {
    const counts = sample.get(service);
    if (!counts) continue;
    const total = counts.total * scale;
    // Good-Turing: the issues of types a sample did not show are about as many as the sample's issues whose
    // type it showed once. Beyond the room the plan keeps anyway, they come out of the types it showed.
    const shownOnce = [...counts.byType.values()].filter((shown) => shown === 1).length;
    const unseenShare = Math.max(UNSEEN_TYPES_SHARE, shownOnce / counts.total);
    const shownShare = 1 - (unseenShare - UNSEEN_TYPES_SHARE);
    const byType = new Map([...counts.byType].map(([type, shown]) => [type, shown * scale * shownShare]));
    services.set(service, {
      total,
      byType,
      untyped: Math.max(counts.untyped * scale, total * unseenShare),
    });
  }
  const totalIssues = [...services.values()].reduce((sum, counts) => sum + counts.total, 0);
  return { services, withoutService: 0, totalIssues };
}

/** The same observation with its error types forgotten: a plan made from it names services only. */
export function withoutErrorTypes(observation: ErrorTypeObservation): ErrorTypeObservation {
  return {
    ...observation,
    services: new Map(
      [...observation.services].map(([service, counts]) => [
        service,
        { total: counts.total, byType: new Map(), untyped: counts.total, newTypes: 0 },
      ]),
    ),
  };
}

/** Two observations of different services, as one. */
export function mergeObservations(
  first: ErrorTypeObservation,
  second: ErrorTypeObservation,
): ErrorTypeObservation {
  return {
    services: new Map([...first.services, ...second.services]),
    withoutService: first.withoutService + second.withoutService,
    totalIssues: first.totalIssues + second.totalIssues,
  };
}
