import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { Backfill, DEFAULT_BACKFILL_MAX_CONCURRENCY } from './backfill';
import { Catalog } from './catalog';
import { DatadogSecret } from './datadog-secret';
import { NotificationKey } from './encrypted-topic';
import { ExportEvents } from './export-events';
import { ExportSchedule } from './export-schedule';
import { ExporterFunction } from './exporter-function';
import { grantExporterAccess } from './exporter-permissions';
import { Monitoring } from './monitoring';
import { type ObjectLockMode, WarehouseBucket } from './warehouse-bucket';

export interface ErrorTrackingExportStackProps extends StackProps {
  /**
   * Datadog site, for example `datadoghq.eu`.
   * @default 'datadoghq.com'
   */
  readonly datadogSite?: string;
  /**
   * Error Tracking search query.
   * @default '*'
   */
  readonly query?: string;
  /**
   * Persona searched when no tracks are given: ALL, BACKEND, BROWSER or MOBILE.
   * @default 'ALL'
   */
  readonly persona?: string;
  /**
   * Tracks (trace, logs, rum) to search separately instead of one persona.
   * @default - search the persona
   */
  readonly tracks?: readonly string[];
  /**
   * When the export runs.
   * @default ScheduleExpression.rate(Duration.minutes(15))
   */
  readonly schedule?: ScheduleExpression;
  /**
   * Complete ARN of an existing secret holding `{"DD_API_KEY","DD_APP_KEY"}`.
   * @default - a new, empty secret
   */
  readonly existingSecretArn?: string;
  /**
   * Object Lock default retention in days; only takes effect when the bucket is created.
   * @default - Object Lock off
   */
  readonly objectLockDays?: number;
  /**
   * Object Lock mode when `objectLockDays` is set.
   * @default 'GOVERNANCE'
   */
  readonly objectLockMode?: ObjectLockMode;
  /**
   * Email address that receives alarm notifications.
   * @default - no subscription
   */
  readonly alarmEmail?: string;
  /**
   * Key prefix of the warehouse in the bucket.
   * @default 'warehouse/'
   */
  readonly warehousePrefix?: string;
  /**
   * Publish state-change events to the default event bus instead of a dedicated one.
   * @default false
   */
  readonly useDefaultEventBus?: boolean;
  /**
   * `source` of published events.
   * @default 'error-tracking-export'
   */
  readonly eventSource?: string;
  /**
   * CloudWatch metrics namespace.
   * @default 'ErrorTrackingExport'
   */
  readonly metricsNamespace?: string;
  /**
   * Time bucket length (`BUCKET_DURATION`).
   * @default '1h'
   */
  readonly bucketDuration?: string;
  /**
   * Closed buckets re-exported on every run (`LOOKBACK_BUCKETS`).
   * @default 2
   */
  readonly lookbackBuckets?: number;
  /**
   * Minutes to wait for Datadog ingestion before a bucket counts as closed (`INGESTION_LAG_MINUTES`).
   * @default 10
   */
  readonly ingestionLagMinutes?: number;
  /**
   * Datadog requests one function keeps in flight (`CONCURRENCY`).
   * @default 4
   */
  readonly concurrency?: number;
  /**
   * Whether a window may be divided by issue state (`STATE_SPLITS`). A search by state cannot see an issue
   * in a state newer than the documented five, so with `false` a complete run does not depend on every
   * issue being in a documented state; a window only states could divide is then declared incomplete, and
   * busy services cost more searches.
   * @default true
   */
  readonly stateSplits?: boolean;
  /**
   * Whether a window may be divided by track (`TRACK_SPLITS`). The three tracks divide persona `ALL` only
   * while every issue is in one of them, so with `false` a complete run does not depend on Datadog adding
   * no track; busy services without error types then cost more searches.
   * @default true
   */
  readonly trackSplits?: boolean;
  /**
   * Whether a saturated window may be paged by issue id (`ISSUE_PAGES`), a search term the reference
   * does not document: a run relies on it only once a page has proved it, and stops on any sign the API
   * reads it otherwise. With `false` no run relies on it.
   * @default true
   */
  readonly issuePages?: boolean;
  /**
   * Timeout of the scheduled export; keep it below the schedule interval.
   * @default Duration.minutes(14)
   */
  readonly exportTimeout?: Duration;
  /**
   * Memory of the export functions in MB.
   * @default 1024
   */
  readonly exportMemorySize?: number;
  /**
   * Days the backfill exports at once (see `DEFAULT_BACKFILL_MAX_CONCURRENCY` for the arithmetic).
   * @default 2
   */
  readonly backfillMaxConcurrency?: number;
  /**
   * X-Ray tracing of backfill executions.
   * @default true
   */
  readonly backfillTracing?: boolean;
  /**
   * Watermark lag in minutes above which the lag alarm fires.
   * @default 120
   */
  readonly watermarkLagThresholdMinutes?: number;
  /**
   * Log retention of the functions and the backfill.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/**
 * Everything the exporter needs in AWS: the warehouse bucket, the scheduled export, the backfill state
 * machine, the Glue catalog and Athena workgroup, the event bus, the Datadog secret, alarms and a dashboard.
 */
export class ErrorTrackingExportStack extends Stack {
  readonly warehouse: WarehouseBucket;
  readonly secret: DatadogSecret;
  readonly events: ExportEvents;
  readonly catalog: Catalog;
  readonly exportFunction: ExporterFunction;
  readonly exportSchedule: ExportSchedule;
  /** Dead-letter queue of the scheduled export (failed runs and undeliverable schedule invocations). */
  readonly failureQueue: Queue;
  readonly backfillPlanFunction: ExporterFunction;
  readonly backfillDayFunction: ExporterFunction;
  readonly backfill: Backfill;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: ErrorTrackingExportStackProps = {}) {
    super(scope, id, props);
    if (props.persona !== undefined && props.tracks !== undefined && props.tracks.length > 0) {
      throw new Error('Give either persona or tracks, not both: the exporter searches one or the other');
    }
    const notificationKey = new NotificationKey(this, 'NotificationKey');
    this.warehouse = new WarehouseBucket(this, 'Warehouse', {
      prefix: props.warehousePrefix,
      objectLockDays: props.objectLockDays,
      objectLockMode: props.objectLockMode,
    });
    this.secret = new DatadogSecret(this, 'DatadogKeys', { existingSecretArn: props.existingSecretArn });
    this.events = new ExportEvents(this, 'Events', {
      notificationKey,
      useDefaultBus: props.useDefaultEventBus,
      eventSource: props.eventSource,
    });
    this.catalog = new Catalog(this, 'Catalog', { warehouse: this.warehouse });

    const metricsNamespace = props.metricsNamespace ?? 'ErrorTrackingExport';
    const environment: Record<string, string> = {
      DD_SITE: props.datadogSite ?? 'datadoghq.com',
      DD_SECRET_ARN: this.secret.secret.secretArn,
      WAREHOUSE_URL: this.warehouse.warehouseUrl,
      STATE_URL: this.warehouse.folderUrl('_state'),
      EVENTS_TARGET: this.events.eventsTarget,
      EVENT_SOURCE: this.events.eventSource,
      EXPORT_QUERY: props.query ?? '*',
      BUCKET_DURATION: props.bucketDuration ?? '1h',
      LOOKBACK_BUCKETS: String(props.lookbackBuckets ?? 2),
      INGESTION_LAG_MINUTES: String(props.ingestionLagMinutes ?? 10),
      GLUE_DATABASE: this.catalog.databaseName,
      GLUE_ISSUES_TABLE: this.catalog.issuesTableName,
      GLUE_STATE_CHANGES_TABLE: this.catalog.stateChangesTableName,
      METRICS_NAMESPACE: metricsNamespace,
      POWERTOOLS_SERVICE_NAME: 'export',
      CONCURRENCY: String(props.concurrency ?? 4),
      STATE_SPLITS: String(props.stateSplits ?? true),
      TRACK_SPLITS: String(props.trackSplits ?? true),
      ISSUE_PAGES: String(props.issuePages ?? true),
    };
    // The exporter searches either a persona or tracks, never both.
    if (props.tracks !== undefined && props.tracks.length > 0)
      environment.EXPORT_TRACKS = props.tracks.join(',');
    else environment.EXPORT_PERSONA = props.persona ?? 'ALL';
    const exporterResources = {
      bucket: this.warehouse.bucket,
      prefix: this.warehouse.prefix,
      secretArn: this.secret.secret.secretArn,
      eventBusArn: this.events.eventBus.eventBusArn,
      glueResourceArns: this.catalog.partitionWriterResourceArns,
    };

    const failureQueue = new Queue(this, 'ExportFailures', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(failureQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue of the scheduled export; an alarm watches its depth.',
    });

    this.exportFunction = new ExporterFunction(this, 'Export', {
      entry: 'functions/export.ts',
      description: 'Exports Datadog Error Tracking issues into the warehouse',
      environment,
      timeout: props.exportTimeout,
      memorySize: props.exportMemorySize,
      // One run at a time: runs share the watermark and state files.
      reservedConcurrentExecutions: 1,
      onFailure: new SqsDestination(failureQueue),
      logRetention: props.logRetention,
    });
    grantExporterAccess(this.exportFunction.role, exporterResources);
    this.failureQueue = failureQueue;
    this.exportSchedule = new ExportSchedule(this, 'Schedule', {
      target: this.exportFunction.function,
      deadLetterQueue: failureQueue,
      schedule: props.schedule,
    });

    // A separate service dimension keeps backfill metrics (a day-old watermark, by design) out of the alarms.
    const backfillEnvironment = { ...environment, POWERTOOLS_SERVICE_NAME: 'backfill' };
    this.backfillPlanFunction = new ExporterFunction(this, 'BackfillPlan', {
      entry: 'functions/backfill-plan.ts',
      description: 'Splits a backfill period into days',
      environment: backfillEnvironment,
      timeout: Duration.minutes(1),
      memorySize: 256,
      logRetention: props.logRetention,
    });
    const backfillMaxConcurrency = props.backfillMaxConcurrency ?? DEFAULT_BACKFILL_MAX_CONCURRENCY;
    this.backfillDayFunction = new ExporterFunction(this, 'BackfillDay', {
      entry: 'functions/backfill-day.ts',
      description: 'Exports one day of a backfill',
      environment: backfillEnvironment,
      timeout: Duration.minutes(15),
      memorySize: props.exportMemorySize,
      // Caps Datadog traffic even when two backfills are started at once.
      reservedConcurrentExecutions: backfillMaxConcurrency,
      logRetention: props.logRetention,
    });
    grantExporterAccess(this.backfillDayFunction.role, exporterResources);
    this.backfill = new Backfill(this, 'Backfill', {
      planFunction: this.backfillPlanFunction.function,
      dayFunction: this.backfillDayFunction.function,
      maxConcurrency: backfillMaxConcurrency,
      tracing: props.backfillTracing,
      logRetention: props.logRetention,
    });

    this.monitoring = new Monitoring(this, 'Monitoring', {
      notificationKey,
      exportFunction: this.exportFunction.function,
      failureQueue,
      backfill: this.backfill.stateMachine,
      metricsNamespace,
      watermarkLagThresholdMinutes: props.watermarkLagThresholdMinutes,
      alarmEmail: props.alarmEmail,
    });

    new CfnOutput(this, 'WarehouseUrl', { value: this.warehouse.warehouseUrl });
    new CfnOutput(this, 'DatadogSecretArn', { value: this.secret.secret.secretArn });
    new CfnOutput(this, 'BackfillStateMachineArn', { value: this.backfill.stateMachine.stateMachineArn });
    new CfnOutput(this, 'EventBusArn', { value: this.events.eventBus.eventBusArn });
    new CfnOutput(this, 'RegressionTopicArn', { value: this.events.regressionTopic.topicArn });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.alarmTopic.topicArn });
    new CfnOutput(this, 'AthenaWorkGroup', { value: this.catalog.workGroupName });
    new CfnOutput(this, 'GlueDatabase', { value: this.catalog.databaseName });
  }
}
