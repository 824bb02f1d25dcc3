import type { Bucket } from './buckets';
import type { BucketPlan } from './density';
import type { LeafWindow } from './enumerate';
import type { FacetClause } from './query';
import { packServices, withClauses } from './split';

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

export function observeErrorTypes(
  leaves: readonly LeafWindow[],
  serviceOf: (issueId: string) => string | undefined,
  errorTypeOf: (issueId: string) => string | undefined,
  /** The observation this bucket was planned from, against which new error types are counted. */
  plannedFrom?: ErrorTypeObservation,
): ErrorTypeObservation {
  const observed = countIssues(
    leaves.flatMap((leaf) => leaf.results.map((result) => result.id)),
    serviceOf,
    errorTypeOf,
  );
  if (!plannedFrom) return observed;
  const services = new Map<string, ServiceErrorTypes>();
  for (const [service, counts] of observed.services) {
    const known = plannedFrom.services.get(service)?.byType;
    if (!known) {
      services.set(service, counts);
      continue;
    }
    let newTypes = 0;
    for (const [type, count] of counts.byType) if (!known.has(type)) newTypes += count;
    services.set(service, { ...counts, newTypes });
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
    services.set(service, {
      total: average(now?.total, earlier?.total),
      byType,
      untyped: average(now?.untyped, earlier?.untyped),
      ...(newTypes === undefined ? {} : { newTypes }),
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
const MAX_NAMED_SERVICES = 100;
const MAX_NAMED_ERROR_TYPES = 50;
/** Until measured, the share of a busy service's issues expected to be of error types not seen before. */
const NEW_TYPES_SHARE = 0.06;
/** A busy service's error types are bundled into pieces of up to this many issues. */
const TYPE_PIECE_LIMIT = 20;

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
): BucketPlan {
  const pieces: SizedPiece[] = [];
  const namedTypes = new Map<string, string[]>();
  const bySize = [...observation.services].sort((a, b) => b[1].total - a[1].total || (a[0] < b[0] ? -1 : 1));
  // In a big org the quietest services are left to the remainder, so that its query stays short.
  const named = withRemainder ? bySize.slice(0, MAX_NAMED_SERVICES) : bySize;
  let unnamedIssues = observation.withoutService;
  for (const [, counts] of bySize.slice(named.length)) unnamedIssues += counts.total;
  const pieceOfService = new Map<string, number>();
  const pieceOfType = new Map<string, Map<string, number>>();
  for (const [service, counts] of named.sort(([a], [b]) => (a < b ? -1 : 1))) {
    namedTypes.set(service, []);
    if (counts.total <= WHOLE_SERVICE_LIMIT) {
      pieceOfService.set(
        service,
        pieces.push({ piece: { kind: 'service', service }, issues: counts.total }) - 1,
      );
      continue;
    }
    // Likewise a service's rarest error types are left to its rest, so that the rest's query stays short.
    const types = [...counts.byType].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    const namedTypesOfService = new Map(types.slice(0, MAX_NAMED_ERROR_TYPES));
    const unnamedTypes = types.slice(MAX_NAMED_ERROR_TYPES).reduce((sum, [, count]) => sum + count, 0);
    namedTypes.set(service, [...namedTypesOfService.keys()].sort());
    const typePieces = new Map<string, number>();
    pieceOfType.set(service, typePieces);
    // Types are bundled into pieces of a few issues each, which fill searches closely in few clauses.
    for (const errorTypes of packServices(namedTypesOfService, TYPE_PIECE_LIMIT)) {
      const issues = errorTypes.reduce((sum, type) => sum + (counts.byType.get(type) ?? 0), 0);
      const index = pieces.push({ piece: { kind: 'types', service, errorTypes }, issues }) - 1;
      for (const type of errorTypes) typePieces.set(type, index);
    }
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
export function splitSample(sample: Sample): { head: string[]; tailSeen: number } | undefined {
  const bySeen = [...sample].sort((a, b) => a[1].total - b[1].total || (a[0] < b[0] ? -1 : 1));
  let tailSeen = 0;
  let tail = 0;
  while (tail < bySeen.length - 1 && tailSeen + bySeen[tail]![1].total <= TAIL_SEEN) {
    tailSeen += bySeen[tail]![1].total;
    tail += 1;
  }
  if (tail === 0) return undefined;
  return {
    head: bySeen
      .slice(tail)
      .map(([service]) => service)
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
