/**
 * The Lambda functions' settings, read from the environment the stack deploys (see `infra/stack.ts`).
 * Parsed once per container; every problem is a one-line `ConfigError` that names the variable to fix.
 */
import { searchScopes } from '../config';
import { parseSite, resolveBaseUrl } from '../datadog/sites';
import type { SearchScope } from '../enumerate/scope';
import { ConfigError } from '../errors';
import { DEFAULT_EVENT_SOURCE, parseEventsTarget, validateEventSource } from '../events';
import { parseStateLocation } from '../state';
import { DEFAULT_RECHECK_BUDGET, DEFAULT_RECHECK_MAX_AGE_MS } from '../state-tracking';
import { parseDuration } from '../warehouse/layout';
import { parseWarehouseLocation } from '../warehouse/location';

export interface S3Location {
  readonly bucket: string;
  /** Key prefix without leading or trailing `/`; `''` for the bucket root. */
  readonly prefix: string;
}

export interface GlueTables {
  readonly database: string;
  readonly issuesTable: string;
  readonly stateChangesTable: string;
}

export interface LambdaConfig {
  /** `POWERTOOLS_SERVICE_NAME`: the `service` of logs and metrics (`export`, or `backfill`). */
  readonly serviceName: string;
  readonly datadog: {
    readonly site: string;
    readonly baseUrl: string;
    /** Secrets Manager secret holding `{"DD_API_KEY","DD_APP_KEY"}`. */
    readonly secretId: string;
  };
  readonly warehouse: S3Location;
  readonly state: S3Location;
  /** `null` when `EVENTS_TARGET` is unset: changes are still detected and stored, but not published. */
  readonly events: { readonly eventBusName: string; readonly source: string } | null;
  readonly scopes: readonly SearchScope[];
  readonly bucketMs: number;
  /** Buckets before the watermark that every run exports again, for late-arriving occurrences. */
  readonly lookbackBuckets: number;
  readonly ingestionLagMs: number;
  /** How far back the first run (no watermark yet) starts. */
  readonly initialLookbackMs: number;
  /** Most buckets one run covers, so a long backlog is caught up over several runs. */
  readonly maxBucketsPerRun: number;
  /** Time kept free before the Lambda timeout for finishing buckets in flight and committing. */
  readonly deadlineMarginMs: number;
  /** Datadog requests in flight at once. */
  readonly concurrency: number;
  /** Whether a window may be divided by `states`; see `ExportOptions.stateSplits`. */
  readonly stateSplits: boolean;
  /** Whether a window may be divided by `track`; see `ExportOptions.trackSplits`. */
  readonly trackSplits: boolean;
  /** Whether a saturated window may be paged by issue id; see `ExportOptions.issuePages`. */
  readonly issuePages: boolean;
  readonly recheckMaxAgeMs: number;
  readonly recheckBudget: number;
  /** `null` when `GLUE_DATABASE` is unset: partitions are then not registered. */
  readonly glue: GlueTables | null;
  readonly metricsNamespace: string;
}

export const DEFAULT_MAX_BUCKETS_PER_RUN = 96;
export const DEFAULT_DEADLINE_MARGIN_SECONDS = 90;
export const DEFAULT_METRICS_NAMESPACE = 'ErrorTrackingExport';

type Environment = Readonly<Record<string, string | undefined>>;

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const SECRET_ID_PATTERN = /^[\w/+=.@:-]{1,2048}$/;
const GLUE_NAME_PATTERN = /^[a-z0-9_]{1,255}$/;
const METRICS_NAMESPACE_PATTERN = /^[\w.\-/#:]{1,255}$/;

function text(environment: Environment, name: string): string | undefined {
  const value = environment[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function required(environment: Environment, name: string, what: string): string {
  const value = text(environment, name);
  if (value === undefined) throw new ConfigError(`${name} is not set: set it to ${what}`);
  return value;
}

function integer(
  environment: Environment,
  name: string,
  range: { readonly fallback: number; readonly min: number; readonly max: number },
): number {
  const raw = text(environment, name);
  if (raw === undefined) return range.fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < range.min || value > range.max) {
    throw new ConfigError(
      `${name} must be a whole number from ${range.min} to ${range.max}, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

function boolean(environment: Environment, name: string, fallback: boolean): boolean {
  const value = text(environment, name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new ConfigError(`${name} must be true or false, got ${JSON.stringify(text(environment, name))}`);
}

/** Runs a parser from `lib/` and names the variable in its error, which was written for a CLI flag. */
function fromVariable<T>(names: string | readonly string[], parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const message = error.message
      .replace(/--persona\b/g, 'EXPORT_PERSONA')
      .replace(/--track\b/g, 'EXPORT_TRACKS');
    const candidates = typeof names === 'string' ? [names] : names;
    const named = candidates.some((name) => message.includes(name));
    throw new ConfigError(named ? message : `${candidates[0]}: ${message}`);
  }
}

function s3Location(environment: Environment, name: string): S3Location {
  const value = required(environment, name, 's3://bucket/prefix');
  if (!/^s3:\/\//i.test(value)) {
    throw new ConfigError(`${name} must be an s3://bucket/prefix URL, got ${JSON.stringify(value)}`);
  }
  return fromVariable(name, () => {
    const location = name === 'STATE_URL' ? parseStateLocation(value) : parseWarehouseLocation(value);
    if (location.kind !== 's3') throw new ConfigError(`must be an s3://bucket/prefix URL`);
    return { bucket: location.bucket, prefix: location.prefix };
  });
}

function scopesFrom(environment: Environment): SearchScope[] {
  const persona = text(environment, 'EXPORT_PERSONA');
  const tracks = text(environment, 'EXPORT_TRACKS');
  // The stack always sets EXPORT_PERSONA (ALL by default) and adds EXPORT_TRACKS when tracks are chosen.
  const effectivePersona = tracks !== undefined && persona?.toUpperCase() === 'ALL' ? undefined : persona;
  return fromVariable(['EXPORT_PERSONA', 'EXPORT_TRACKS', 'EXPORT_QUERY'], () =>
    searchScopes(text(environment, 'EXPORT_QUERY') ?? '*', effectivePersona, tracks),
  );
}

function bucketDuration(environment: Environment): number {
  const raw = text(environment, 'BUCKET_DURATION') ?? '1h';
  const bucketMs = fromVariable('BUCKET_DURATION', () => parseDuration(raw));
  if (bucketMs < MINUTE || DAY % bucketMs !== 0) {
    throw new ConfigError(
      `BUCKET_DURATION must divide a day evenly and be at least 1m (for example 15m, 1h, 1d), got ${JSON.stringify(raw)}`,
    );
  }
  return bucketMs;
}

function eventsFrom(environment: Environment): LambdaConfig['events'] {
  const source = fromVariable('EVENT_SOURCE', () =>
    validateEventSource(text(environment, 'EVENT_SOURCE') ?? DEFAULT_EVENT_SOURCE),
  );
  const target = text(environment, 'EVENTS_TARGET');
  if (target === undefined) return null;
  const parsed = fromVariable('EVENTS_TARGET', () => parseEventsTarget(target));
  if (parsed.kind !== 'eventbridge') {
    throw new ConfigError(
      `EVENTS_TARGET must be eventbridge:<event bus ARN> in Lambda, got ${JSON.stringify(target)}`,
    );
  }
  return { eventBusName: parsed.eventBusName, source };
}

function glueFrom(environment: Environment): GlueTables | null {
  const database = text(environment, 'GLUE_DATABASE');
  if (database === undefined) return null;
  const name = (variable: string, fallback: string) => {
    const value = text(environment, variable) ?? fallback;
    if (!GLUE_NAME_PATTERN.test(value)) {
      throw new ConfigError(
        `${variable} must be a Glue name of lowercase letters, digits and underscores, got ${JSON.stringify(value)}`,
      );
    }
    return value;
  };
  return {
    database: name('GLUE_DATABASE', database),
    issuesTable: name('GLUE_ISSUES_TABLE', 'issues'),
    stateChangesTable: name('GLUE_STATE_CHANGES_TABLE', 'issue_state_changes'),
  };
}

/** Reads and validates every setting; throws a `ConfigError` naming the first variable to fix. */
export function parseLambdaConfig(environment: Environment): LambdaConfig {
  const site = fromVariable('DD_SITE', () => parseSite(text(environment, 'DD_SITE')));
  const apiUrl = text(environment, 'DD_API_URL');
  const baseUrl = fromVariable('DD_API_URL', () => resolveBaseUrl({ site, apiUrl }));
  const secretId = required(environment, 'DD_SECRET_ARN', 'the ARN of the secret holding the Datadog keys');
  if (!SECRET_ID_PATTERN.test(secretId)) {
    throw new ConfigError('DD_SECRET_ARN must be a Secrets Manager secret ARN or name');
  }
  const bucketMs = bucketDuration(environment);
  const lookbackBuckets = integer(environment, 'LOOKBACK_BUCKETS', { fallback: 2, min: 0, max: 1_000 });
  const maxBucketsPerRun = integer(environment, 'MAX_BUCKETS_PER_RUN', {
    fallback: DEFAULT_MAX_BUCKETS_PER_RUN,
    min: 1,
    max: 10_000,
  });
  if (maxBucketsPerRun <= lookbackBuckets) {
    throw new ConfigError(
      `MAX_BUCKETS_PER_RUN (${maxBucketsPerRun}) must be larger than LOOKBACK_BUCKETS (${lookbackBuckets}), or runs never get past the watermark`,
    );
  }
  const metricsNamespace = text(environment, 'METRICS_NAMESPACE') ?? DEFAULT_METRICS_NAMESPACE;
  if (!METRICS_NAMESPACE_PATTERN.test(metricsNamespace) || metricsNamespace.startsWith('AWS/')) {
    throw new ConfigError(
      `METRICS_NAMESPACE must be 1-255 letters, digits or . - _ / # : and not start with AWS/, got ${JSON.stringify(metricsNamespace)}`,
    );
  }
  return {
    serviceName: text(environment, 'POWERTOOLS_SERVICE_NAME') ?? 'export',
    datadog: { site, baseUrl, secretId },
    warehouse: s3Location(environment, 'WAREHOUSE_URL'),
    state: s3Location(environment, 'STATE_URL'),
    events: eventsFrom(environment),
    scopes: scopesFrom(environment),
    bucketMs,
    lookbackBuckets,
    ingestionLagMs:
      integer(environment, 'INGESTION_LAG_MINUTES', { fallback: 10, min: 0, max: 1_440 }) * MINUTE,
    initialLookbackMs:
      integer(environment, 'INITIAL_LOOKBACK_HOURS', { fallback: 24, min: 1, max: 24 * 400 }) * HOUR,
    maxBucketsPerRun,
    deadlineMarginMs:
      integer(environment, 'DEADLINE_MARGIN_SECONDS', {
        fallback: DEFAULT_DEADLINE_MARGIN_SECONDS,
        min: 0,
        max: 900,
      }) * 1_000,
    concurrency: integer(environment, 'CONCURRENCY', { fallback: 4, min: 1, max: 32 }),
    stateSplits: boolean(environment, 'STATE_SPLITS', true),
    trackSplits: boolean(environment, 'TRACK_SPLITS', true),
    issuePages: boolean(environment, 'ISSUE_PAGES', true),
    recheckMaxAgeMs:
      integer(environment, 'RECHECK_MAX_AGE_MINUTES', {
        fallback: DEFAULT_RECHECK_MAX_AGE_MS / MINUTE,
        min: 1,
        max: 525_600,
      }) * MINUTE,
    recheckBudget: integer(environment, 'RECHECK_BUDGET', {
      fallback: DEFAULT_RECHECK_BUDGET,
      min: 0,
      max: 100_000,
    }),
    glue: glueFrom(environment),
    metricsNamespace,
  };
}
