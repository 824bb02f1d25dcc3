/**
 * What the Lambda functions run: the scheduled export (resumes from the watermark, stops before the
 * timeout), one backfill day, and the backfill plan. All three call `runExport` like the CLI does.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ErrorTrackingApi } from '../datadog/api';
import { SPLIT_KINDS } from '../enumerate/split';
import { createEventBridgePublisher, type EventBridgeSendClient } from '../events';
import { type RunManifest, type RunStatus, runExport } from '../pipeline';
import { createS3StateStore } from '../state';
import type { StateTrackingOptions } from '../state-tracking';
import type { WrittenFile } from '../warehouse/issue-writer';
import { createS3Sink } from '../warehouse/s3-sink';
import { parseBackfillRange } from './backfill-plan';
import type { LambdaConfig } from './config';
import type { PartitionRegistrar, PartitionRegistration } from './partitions';

/** What one invocation runs against; the handler builds it, tests pass local servers and fakes. */
export interface ExportClients {
  readonly s3: S3Client;
  readonly api: ErrorTrackingApi;
  /** Required when the config has an events target. */
  readonly eventBridge?: EventBridgeSendClient;
  /** `null` when partitions are not registered (no Glue catalog configured). */
  readonly partitions: PartitionRegistrar | null;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export interface InvocationContext {
  readonly now: () => number;
  /** Milliseconds until the Lambda timeout, as `context.getRemainingTimeInMillis()`. */
  remainingTimeMs(): number;
}

export interface ExportRange {
  /** Epoch ms, a bucket boundary. */
  readonly from: number;
  /** Epoch ms, exclusive, a bucket boundary. */
  readonly to: number;
  /** End of the last closed bucket: where the export would stop without the per-run cap. */
  readonly closedThrough: number;
}

export interface ScheduledExportResult {
  /** `up-to-date`: no closed bucket after the lookback, so nothing was exported. */
  readonly status: RunStatus | 'up-to-date';
  readonly runId: string | null;
  readonly from: string | null;
  readonly to: string | null;
  readonly bucketsExported: number;
  readonly bucketsNotStarted: number;
  readonly rows: number;
  readonly watermark: string | null;
  /** Closed buckets after the watermark, left for the next runs. */
  readonly backlogBuckets: number;
  readonly eventsPublished: number;
  readonly partitions: PartitionRegistration | null;
}

export interface BackfillDayResult {
  readonly status: RunStatus;
  readonly runId: string;
  readonly from: string;
  readonly to: string;
  readonly rows: number;
  readonly partitions: PartitionRegistration | null;
}

/** Raised when a backfill day could not finish before the Lambda timeout; starting it again redoes it. */
export class BackfillStoppedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

const MINUTE = 60_000;

const iso = (ms: number) => new Date(ms).toISOString();
const alignDown = (ms: number, bucketMs: number) => Math.floor(ms / bucketMs) * bucketMs;

/**
 * From the watermark minus the lookback (or `initialLookback` before the first run) to the last closed
 * bucket, capped at `maxBucketsPerRun` buckets so a long backlog is caught up over several runs; `null`
 * when there is nothing to export.
 */
export function planExportRange(
  config: Pick<
    LambdaConfig,
    'bucketMs' | 'lookbackBuckets' | 'ingestionLagMs' | 'initialLookbackMs' | 'maxBucketsPerRun'
  >,
  watermark: number | null,
  now: number,
): ExportRange | null {
  const { bucketMs } = config;
  const closedThrough = alignDown(now - config.ingestionLagMs, bucketMs);
  const from =
    watermark === null
      ? alignDown(now - config.initialLookbackMs, bucketMs)
      : alignDown(watermark, bucketMs) - config.lookbackBuckets * bucketMs;
  const to = Math.min(closedThrough, from + config.maxBucketsPerRun * bucketMs);
  return to > from ? { from, to, closedThrough } : null;
}

function writtenFiles(manifest: RunManifest): WrittenFile[] {
  const changesFile = manifest.state?.changes_file;
  return changesFile ? [...manifest.files, changesFile] : [...manifest.files];
}

function recordRunMetrics(metrics: Metrics, manifest: RunManifest): void {
  metrics.addMetric('IssuesExported', MetricUnit.Count, manifest.rows);
  metrics.addMetric('Searches', MetricUnit.Count, manifest.searches);
  metrics.addMetric('IncompleteWindows', MetricUnit.Count, manifest.incomplete_windows.length);
  metrics.addMetric('RateLimited', MetricUnit.Count, manifest.api.rateLimited);
  metrics.addMetric('Retries', MetricUnit.Count, manifest.api.retries);
  metrics.addMetric('EventsPublished', MetricUnit.Count, manifest.state?.events_published ?? 0);
  metrics.addMetric('DurationMs', MetricUnit.Milliseconds, manifest.durations_ms.total);
  // `kind` is a dimension of Splits only; the alarms match the other metrics on `service` alone.
  for (const kind of SPLIT_KINDS) {
    metrics
      .singleMetric()
      .addDimension('kind', kind)
      .addMetric('Splits', MetricUnit.Count, manifest.splits[kind]);
  }
}

async function registerPartitions(
  clients: ExportClients,
  manifest: RunManifest,
): Promise<PartitionRegistration | null> {
  if (!clients.partitions) return null;
  const registration = await clients.partitions.register(writtenFiles(manifest));
  clients.logger.debug('Partitions registered', { ...registration });
  return registration;
}

function stateTrackingFor(config: LambdaConfig, clients: ExportClients): StateTrackingOptions {
  if (config.events && !clients.eventBridge) {
    throw new Error('An EventBridge client is required when EVENTS_TARGET is set');
  }
  return {
    store: createS3StateStore({ client: clients.s3, ...config.state }),
    ...(config.events && clients.eventBridge
      ? {
          events: createEventBridgePublisher({
            client: clients.eventBridge,
            eventBusName: config.events.eventBusName,
          }),
        }
      : {}),
    eventOptions: { site: config.datadog.site, ...(config.events ? { source: config.events.source } : {}) },
    recheckMaxAgeMs: config.recheckMaxAgeMs,
    recheckBudget: config.recheckBudget,
  };
}

function upToDate(watermark: number | null): ScheduledExportResult {
  return {
    status: 'up-to-date',
    runId: null,
    from: null,
    to: null,
    bucketsExported: 0,
    bucketsNotStarted: 0,
    rows: 0,
    watermark: watermark === null ? null : iso(watermark),
    backlogBuckets: 0,
    eventsPublished: 0,
    partitions: null,
  };
}

/**
 * One scheduled run: exports the closed buckets after the watermark (plus the lookback), stops starting
 * buckets `deadlineMarginMs` before the timeout, and commits the contiguous exported prefix as the new
 * watermark, so the next run continues where this one stopped.
 */
export async function runScheduledExport(
  config: LambdaConfig,
  clients: ExportClients,
  context: InvocationContext,
): Promise<ScheduledExportResult> {
  const { logger, metrics } = clients;
  const stateTracking = stateTrackingFor(config, clients);
  // runExport loads the state again to commit against the revision it read; this load only plans the range.
  const { document } = await stateTracking.store.load();
  const startedAt = context.now();
  const range = planExportRange(config, document.watermark, startedAt);
  const recordLag = (watermark: number | null) => {
    if (watermark === null) return;
    const minutes = Math.max(0, Math.round((context.now() - watermark) / MINUTE));
    metrics.addMetric('WatermarkLagMinutes', MetricUnit.Count, minutes);
  };
  const backlogAfter = (watermark: number | null) =>
    watermark === null || !range
      ? 0
      : Math.max(0, Math.round((range.closedThrough - watermark) / config.bucketMs));

  if (!range) {
    logger.info('Export up to date', {
      watermark: document.watermark === null ? null : iso(document.watermark),
    });
    recordLag(document.watermark);
    return upToDate(document.watermark);
  }

  const stopStartingBucketsAt = startedAt + context.remainingTimeMs() - config.deadlineMarginMs;
  if (stopStartingBucketsAt <= startedAt) {
    // Not even one bucket fits before the timeout: there is nothing to export or commit.
    logger.warn('Export skipped: too little time left before the timeout', {
      remainingTimeMs: context.remainingTimeMs(),
      deadlineMarginMs: config.deadlineMarginMs,
    });
    recordLag(document.watermark);
    return {
      ...upToDate(document.watermark),
      status: 'stopped',
      from: iso(range.from),
      to: iso(range.to),
      bucketsNotStarted: Math.round((range.to - range.from) / config.bucketMs),
      backlogBuckets: backlogAfter(document.watermark),
    };
  }
  logger.info('Export starting', {
    from: iso(range.from),
    to: iso(range.to),
    closedThrough: iso(range.closedThrough),
    watermark: document.watermark === null ? null : iso(document.watermark),
  });
  const manifest = await runExport(
    {
      from: range.from,
      to: range.to,
      bucketMs: config.bucketMs,
      scopes: config.scopes,
      stateSplits: config.stateSplits,
      trackSplits: config.trackSplits,
      issuePages: config.issuePages,
      stopStartingBucketsAt,
    },
    {
      api: clients.api,
      sink: createS3Sink({ client: clients.s3, ...config.warehouse }),
      now: context.now,
      stateTracking: { ...stateTracking, rangeStopsShortOfPresent: range.to < range.closedThrough },
    },
  );
  const watermark = manifest.state?.watermark ? Date.parse(manifest.state.watermark) : null;
  // Recorded before registering partitions, so that a Glue failure still publishes this run's metrics.
  recordRunMetrics(metrics, manifest);
  recordLag(watermark);
  const partitions = await registerPartitions(clients, manifest);

  const result: ScheduledExportResult = {
    status: manifest.status,
    runId: manifest.run_id,
    from: manifest.range.from,
    to: manifest.range.to,
    bucketsExported: manifest.buckets.exported,
    bucketsNotStarted: manifest.buckets.not_started,
    rows: manifest.rows,
    watermark: manifest.state?.watermark ?? null,
    backlogBuckets: backlogAfter(watermark),
    eventsPublished: manifest.state?.events_published ?? 0,
    partitions,
  };
  logger.info('Export finished', {
    ...result,
    searches: manifest.searches,
    plans_loaded: manifest.plans_loaded,
    searches_by_state: manifest.searches_by_state,
    splits_not_used: manifest.splits_not_used,
    api: manifest.api,
  });
  return result;
}

/**
 * Exports one backfill item without state tracking: a backfill must neither emit change events nor move
 * the watermark of the scheduled export. Files are keyed by bucket, so a day exported twice is overwritten.
 */
export async function runBackfillDay(
  config: LambdaConfig,
  clients: Omit<ExportClients, 'eventBridge'>,
  item: unknown,
  context: InvocationContext,
): Promise<BackfillDayResult> {
  const startedAt = context.now();
  const { from, to } = parseBackfillRange(item, startedAt);
  clients.logger.info('Backfill day starting', { from: iso(from), to: iso(to) });
  const manifest = await runExport(
    {
      from,
      to,
      bucketMs: config.bucketMs,
      scopes: config.scopes,
      stateSplits: config.stateSplits,
      trackSplits: config.trackSplits,
      issuePages: config.issuePages,
      stopStartingBucketsAt: startedAt + context.remainingTimeMs() - config.deadlineMarginMs,
    },
    { api: clients.api, sink: createS3Sink({ client: clients.s3, ...config.warehouse }), now: context.now },
  );
  recordRunMetrics(clients.metrics, manifest);
  const partitions = await registerPartitions(clients, manifest);
  const result: BackfillDayResult = {
    status: manifest.status,
    runId: manifest.run_id,
    from: manifest.range.from,
    to: manifest.range.to,
    rows: manifest.rows,
    partitions,
  };
  clients.logger.info('Backfill day finished', { ...result, searches: manifest.searches });
  if (manifest.status === 'stopped') {
    throw new BackfillStoppedError(
      `Backfill of ${iso(from)} to ${iso(to)} exported ${manifest.buckets.exported} of ${manifest.buckets.total} buckets before the Lambda timeout: start the backfill again, or give the day function more memory`,
    );
  }
  return result;
}
