import type { ObjectSink } from '../warehouse/sink';
import type { ServiceDensityModel } from './density';
import type { ErrorTypeObservation, ServiceErrorTypes } from './error-type-plan';
import type { CheckedFacet } from './filter-check';
import { describeScope, type SearchScope } from './scope';

/**
 * What the last bucket of a run found, by service and error type (with how often the issues of types too
 * big for one search err), kept in the warehouse so that the next run (the scheduled Lambda exports a few
 * buckets at a time) plans its first bucket from it instead of discovering the org again from saturated
 * searches. It is only a starting point: a stale plan costs searches, never rows, because every plan
 * covers everything and saturated searches are divided.
 */
interface SavedPlanFile {
  readonly format: 1;
  readonly scope: string;
  readonly bucket_start: string;
  readonly bucket_ms: number;
  readonly total_issues: number;
  readonly without_service: number;
  readonly services: Record<string, SavedService>;
  /**
   * A search of the run (or of one before it) proved the API applies error types as named, so the next
   * run's first plan need not prove it again (see `EnumerationContext.provenFacets`).
   */
  readonly error_types_proven?: boolean;
}

interface SavedService {
  readonly total: number;
  readonly untyped: number;
  readonly by_type: Record<string, number>;
  /** Error types searched in time windows, with how often their issues err (see `ErrorTypeObservation`). */
  readonly error_rates?: Record<string, number>;
}

export function savedPlanKey(scopesId: string, scope: SearchScope): string {
  return `_plans/${scopesId}/${describeScope(scope).replace(':', '=')}.json`;
}

function toFile(
  scope: SearchScope,
  observation: ErrorTypeObservation,
  bucketStart: number,
  bucketMs: number,
  errorTypesProven: boolean,
) {
  const file: SavedPlanFile = {
    format: 1,
    scope: describeScope(scope),
    bucket_start: new Date(bucketStart).toISOString(),
    bucket_ms: bucketMs,
    total_issues: observation.totalIssues,
    without_service: observation.withoutService,
    services: Object.fromEntries(
      [...observation.services].map(([service, counts]): [string, SavedService] => [
        service,
        {
          total: counts.total,
          untyped: counts.untyped,
          by_type: Object.fromEntries(counts.byType),
          ...(counts.errorRates ? { error_rates: Object.fromEntries(counts.errorRates) } : {}),
        },
      ]),
    ),
    ...(errorTypesProven ? { error_types_proven: true } : {}),
  };
  return file;
}

const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0;

/** A saved plan file's fields as read, unchecked; `undefined` when it is not JSON. */
function readSavedFile(text: string): Partial<SavedPlanFile> | undefined {
  try {
    return (JSON.parse(text) as Partial<SavedPlanFile> | null) ?? undefined;
  } catch {
    return undefined;
  }
}

/** The saved observation, or `undefined` when the file is not one this version wrote for these buckets. */
export function parseSavedPlan(text: string, bucketMs: number): ErrorTypeObservation | undefined {
  return observationOf(readSavedFile(text), bucketMs);
}

function observationOf(
  file: Partial<SavedPlanFile> | undefined,
  bucketMs: number,
): ErrorTypeObservation | undefined {
  if (file?.format !== 1 || file.bucket_ms !== bucketMs) return undefined;
  if (!isCount(file.total_issues) || !isCount(file.without_service)) return undefined;
  if (typeof file.services !== 'object' || file.services === null) return undefined;
  const services = new Map<string, ServiceErrorTypes>();
  const countsIn = (record: unknown): Map<string, number> | undefined => {
    if (typeof record !== 'object' || record === null) return undefined;
    const counts = new Map<string, number>();
    for (const [key, count] of Object.entries(record)) {
      if (!isCount(count)) return undefined;
      counts.set(key, count);
    }
    return counts;
  };
  for (const [service, counts] of Object.entries(file.services)) {
    if (!isCount(counts?.total) || !isCount(counts.untyped)) return undefined;
    const byType = countsIn(counts.by_type);
    const errorRates = counts.error_rates === undefined ? undefined : countsIn(counts.error_rates);
    if (!byType || (counts.error_rates !== undefined && !errorRates)) return undefined;
    services.set(service, {
      total: counts.total,
      untyped: counts.untyped,
      byType,
      ...(errorRates && errorRates.size > 0 ? { errorRates } : {}),
    });
  }
  return { services, withoutService: file.without_service, totalIssues: file.total_issues };
}

function savedBucketStart(file: Partial<SavedPlanFile> | undefined): number | undefined {
  const start = Date.parse(file?.bucket_start ?? '');
  return Number.isNaN(start) ? undefined : start;
}

/**
 * Seeds the model with the plans the previous run saved; a missing or unreadable plan is no plan. A plan
 * saved with error types proven proves them for this run too.
 */
export async function loadSavedPlans(
  sink: ObjectSink,
  scopesId: string,
  scopes: readonly SearchScope[],
  bucketMs: number,
  density: ServiceDensityModel,
  provenFacets: Set<CheckedFacet>,
): Promise<number> {
  let loaded = 0;
  for (const scope of scopes) {
    const body = await sink.get(savedPlanKey(scopesId, scope));
    const file = body ? readSavedFile(new TextDecoder().decode(body)) : undefined;
    const observation = observationOf(file, bucketMs);
    if (!observation) continue;
    density.seed(scope, observation);
    if (file?.error_types_proven === true) provenFacets.add('error_type');
    loaded += 1;
  }
  return loaded;
}

/** Saves what this run's latest bucket of each scope found, for the next run. */
export async function savePlans(
  sink: ObjectSink,
  scopesId: string,
  scopes: readonly SearchScope[],
  bucketMs: number,
  density: ServiceDensityModel,
  provenFacets: ReadonlySet<CheckedFacet>,
): Promise<void> {
  for (const scope of scopes) {
    const latest = density.latestErrorTypes(scope);
    if (!latest) continue;
    // A backfill of older buckets leaves the plan of the newest buckets in place for the scheduled runs.
    const key = savedPlanKey(scopesId, scope);
    const saved = await sink.get(key);
    const savedStart = saved ? savedBucketStart(readSavedFile(new TextDecoder().decode(saved))) : undefined;
    if (savedStart !== undefined && savedStart > latest.bucketStart) continue;
    const file = toFile(
      scope,
      latest.observation,
      latest.bucketStart,
      bucketMs,
      provenFacets.has('error_type'),
    );
    await sink.put(key, new TextEncoder().encode(`${JSON.stringify(file)}\n`), 'application/json');
  }
}
