/**
 * Lambda handlers built from their dependencies. `functions/*.ts` create the AWS clients, logger and
 * metrics once per container and call these factories; tests call them with local servers and fakes.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import type { ErrorTrackingApi } from '../datadog/api';
import { type ClientEvent, createDatadogClient, type DatadogClientOptions } from '../datadog/client';
import { DatadogAuthError } from '../datadog/errors';
import type { EventBridgeSendClient } from '../events';
import type { LambdaConfig } from './config';
import { createPartitionRegistrar, type GlueSendClient } from './partitions';
import {
  type BackfillDayResult,
  type InvocationContext,
  runBackfillDay,
  runScheduledExport,
  type ScheduledExportResult,
} from './run';
import { createDatadogKeysLoader, type DatadogKeysLoader, type SecretsManagerSendClient } from './secrets';

export interface LambdaAwsClients {
  readonly s3: S3Client;
  readonly glue: GlueSendClient;
  readonly secretsManager: SecretsManagerSendClient;
  /** Needed by the scheduled export when `EVENTS_TARGET` is set. */
  readonly eventBridge?: EventBridgeSendClient;
}

export interface HandlerDependencies {
  readonly config: LambdaConfig;
  readonly clients: LambdaAwsClients;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** @default Date.now */
  readonly now?: () => number;
  /** Datadog client overrides, such as a shorter `sleep` in tests. */
  readonly datadogClient?: Pick<
    DatadogClientOptions,
    'sleep' | 'fetch' | 'requestTimeoutMs' | 'callDeadlineMs'
  >;
}

export type LambdaHandler<Result> = (event: unknown, context: Context) => Promise<Result>;

function logClientEvent(logger: Logger, event: ClientEvent): void {
  if (event.type === 'throttled') logger.debug('Datadog requests paced', { ...event });
  else
    logger.warn(event.type === 'retry' ? 'Datadog request retried' : 'Datadog rate limit hit', { ...event });
}

/**
 * Per-container state lives here: the cached keys and the partitions already registered. Every invocation
 * gets a fresh Datadog client, so the run manifest's API counters cover that invocation only.
 */
function invocationRunner(dependencies: HandlerDependencies, failureMessage: string) {
  const { config, clients, logger, metrics } = dependencies;
  const keys: DatadogKeysLoader = createDatadogKeysLoader(clients.secretsManager, config.datadog.secretId);
  const partitions = config.glue
    ? createPartitionRegistrar(clients.glue, config.glue, config.warehouse)
    : null;
  const now = dependencies.now ?? Date.now;

  return async <Result>(
    context: Context,
    work: (
      runClients: { api: ErrorTrackingApi; partitions: typeof partitions },
      invocation: InvocationContext,
    ) => Promise<Result>,
  ): Promise<Result> => {
    logger.addContext(context);
    try {
      const { apiKey, appKey } = await keys.get();
      const api = createDatadogClient({
        baseUrl: config.datadog.baseUrl,
        apiKey,
        appKey,
        concurrency: config.concurrency,
        onEvent: (event) => logClientEvent(logger, event),
        ...dependencies.datadogClient,
      });
      return await work(
        { api, partitions },
        { now, remainingTimeMs: () => context.getRemainingTimeInMillis() },
      );
    } catch (error) {
      // Rotated keys are read again on the next invocation instead of failing until the container retires.
      if (error instanceof DatadogAuthError) keys.invalidate();
      logger.error(failureMessage, error as Error);
      throw error;
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

/** The scheduled export; the event (EventBridge Scheduler's input) is ignored. */
export function createExportHandler(dependencies: HandlerDependencies): LambdaHandler<ScheduledExportResult> {
  const run = invocationRunner(dependencies, 'Export failed');
  const { config, clients, logger, metrics } = dependencies;
  return (_event, context) =>
    run(context, ({ api, partitions }, invocation) =>
      runScheduledExport(
        config,
        { s3: clients.s3, eventBridge: clients.eventBridge, api, partitions, logger, metrics },
        invocation,
      ),
    );
}

/** One item of the backfill's Map state: `{from, to}`. */
export function createBackfillDayHandler(
  dependencies: HandlerDependencies,
): LambdaHandler<BackfillDayResult> {
  const run = invocationRunner(dependencies, 'Backfill day failed');
  const { config, clients, logger, metrics } = dependencies;
  return (event, context) =>
    run(context, ({ api, partitions }, invocation) =>
      runBackfillDay(config, { s3: clients.s3, api, partitions, logger, metrics }, event, invocation),
    );
}
