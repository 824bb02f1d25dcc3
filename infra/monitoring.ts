import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  SingleValueWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { NotificationKey } from './encrypted-topic';

/** The `service` dimension the handler's Powertools Metrics put on every metric. */
export const METRICS_SERVICE = 'export';

export interface MonitoringProps {
  readonly notificationKey: NotificationKey;
  readonly exportFunction: IFunction;
  readonly failureQueue: IQueue;
  readonly backfill: StateMachine;
  /**
   * CloudWatch namespace the handler publishes to.
   * @default 'ErrorTrackingExport'
   */
  readonly metricsNamespace?: string;
  /**
   * Alarm when the exported data lags real time by more than this many minutes.
   * @default 120
   */
  readonly watermarkLagThresholdMinutes?: number;
  /**
   * Email address subscribed to the alarm topic (it must confirm the subscription).
   * @default - no subscription
   */
  readonly alarmEmail?: string;
  /**
   * Dashboard name.
   * @default 'error-tracking-export'
   */
  readonly dashboardName?: string;
}

/** Alarms for a stuck or failing exporter, an SNS topic they notify, and a small dashboard. */
export class Monitoring extends Construct {
  readonly alarmTopic: Topic;
  readonly namespace: string;
  readonly alarms: {
    readonly functionErrors: Alarm;
    readonly incompleteWindows: Alarm;
    readonly watermarkLag: Alarm;
    readonly failedInvocations: Alarm;
    readonly backfillFailures: Alarm;
  };

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.namespace = props.metricsNamespace ?? 'ErrorTrackingExport';
    this.alarmTopic = props.notificationKey.createTopic(this, 'AlarmTopic', 'error-tracking-export alarms');
    const cloudWatch = new ServicePrincipal('cloudwatch.amazonaws.com');
    this.alarmTopic.grantPublish(cloudWatch);
    props.notificationKey.key.grant(cloudWatch, 'kms:Decrypt', 'kms:GenerateDataKey*');
    if (props.alarmEmail !== undefined) {
      this.alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail));
    }
    const every15Minutes = Duration.minutes(15);
    const exporterMetric = (metricName: string, statistic: string) =>
      new Metric({
        namespace: this.namespace,
        metricName,
        dimensionsMap: { service: METRICS_SERVICE },
        statistic,
        period: every15Minutes,
      });

    const functionErrors = new Alarm(this, 'FunctionErrors', {
      alarmDescription: 'The scheduled export threw; see the function logs.',
      metric: props.exportFunction.metricErrors({ period: every15Minutes, statistic: 'Sum' }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const incompleteWindows = new Alarm(this, 'IncompleteWindows', {
      alarmDescription: 'Some windows still had 100 issues after every split; their counts are incomplete.',
      metric: exporterMetric('IncompleteWindows', 'Sum'),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const watermarkLag = new Alarm(this, 'WatermarkLag', {
      alarmDescription:
        'The export is behind real time, or has stopped reporting (missing data counts as late).',
      metric: exporterMetric('WatermarkLagMinutes', 'Maximum').with({ period: Duration.minutes(30) }),
      threshold: props.watermarkLagThresholdMinutes ?? 120,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 2,
      treatMissingData: TreatMissingData.BREACHING,
    });
    const failedInvocations = new Alarm(this, 'FailedInvocations', {
      alarmDescription: 'Failed or expired export invocations are waiting in the dead-letter queue.',
      metric: props.failureQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const backfillFailures = new Alarm(this, 'BackfillFailures', {
      alarmDescription: 'A backfill execution failed, timed out or was aborted; start it again to resume.',
      metric: new MathExpression({
        expression: 'failed + timedOut + aborted',
        usingMetrics: {
          failed: props.backfill.metricFailed({ statistic: 'Sum' }),
          timedOut: props.backfill.metricTimedOut({ statistic: 'Sum' }),
          aborted: props.backfill.metricAborted({ statistic: 'Sum' }),
        },
        period: every15Minutes,
      }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.alarms = { functionErrors, incompleteWindows, watermarkLag, failedInvocations, backfillFailures };
    const notify = new SnsAction(this.alarmTopic);
    for (const alarm of Object.values(this.alarms)) {
      alarm.addAlarmAction(notify);
      alarm.addOkAction(notify);
    }

    const splitsByKind: IMetric = new MathExpression({
      expression: `SEARCH('{${this.namespace},kind,service} MetricName="Splits" service="${METRICS_SERVICE}"', 'Sum', 900)`,
      label: 'Splits',
      period: every15Minutes,
    });
    new Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName ?? 'error-tracking-export',
      defaultInterval: Duration.days(1),
      widgets: [
        [
          new SingleValueWidget({
            title: 'Watermark lag (minutes)',
            metrics: [exporterMetric('WatermarkLagMinutes', 'Maximum')],
            width: 6,
          }),
          new GraphWidget({
            title: 'Issues exported',
            left: [exporterMetric('IssuesExported', 'Sum'), exporterMetric('EventsPublished', 'Sum')],
            width: 9,
          }),
          new GraphWidget({
            title: 'Datadog requests',
            left: [
              exporterMetric('Searches', 'Sum'),
              exporterMetric('RateLimited', 'Sum'),
              exporterMetric('Retries', 'Sum'),
            ],
            width: 9,
          }),
        ],
        [
          new GraphWidget({ title: 'Window splits by kind', left: [splitsByKind], width: 8 }),
          new GraphWidget({
            title: 'Run duration (ms)',
            left: [exporterMetric('DurationMs', 'Maximum'), exporterMetric('DurationMs', 'Average')],
            width: 8,
          }),
          new GraphWidget({
            title: 'Failures',
            left: [
              exporterMetric('IncompleteWindows', 'Sum'),
              props.exportFunction.metricErrors({ period: every15Minutes }),
              props.failureQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
            ],
            width: 8,
          }),
        ],
      ],
    });
  }
}
