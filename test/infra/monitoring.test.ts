import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { logicalId, resourceProperties, type SynthesizedStack, synthesizeStack } from './synth';

let defaults: SynthesizedStack;
let custom: SynthesizedStack;

beforeAll(() => {
  defaults = synthesizeStack();
  custom = synthesizeStack({
    metricsNamespace: 'Acme/Errors',
    watermarkLagThresholdMinutes: 45,
    alarmEmail: 'oncall@example.com',
  });
});

type AlarmName = keyof SynthesizedStack['stack']['monitoring']['alarms'];
const alarmProperties = (synthesized: SynthesizedStack, name: AlarmName) =>
  resourceProperties(synthesized.template, logicalId(synthesized.stack.monitoring.alarms[name]));

describe('alarms', () => {
  it('fires on any export function error', () => {
    expect(alarmProperties(defaults, 'functionErrors')).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [
        { Name: 'FunctionName', Value: { Ref: logicalId(defaults.stack.exportFunction.function) } },
      ],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('fires when IncompleteWindows is above zero', () => {
    expect(alarmProperties(defaults, 'incompleteWindows')).toMatchObject({
      Namespace: 'ErrorTrackingExport',
      MetricName: 'IncompleteWindows',
      Dimensions: [{ Name: 'service', Value: 'export' }],
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('fires when the watermark lags past the threshold or stops reporting', () => {
    expect(alarmProperties(defaults, 'watermarkLag')).toMatchObject({
      Namespace: 'ErrorTrackingExport',
      MetricName: 'WatermarkLagMinutes',
      Dimensions: [{ Name: 'service', Value: 'export' }],
      Statistic: 'Maximum',
      Threshold: 120,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'breaching',
    });
    expect(alarmProperties(custom, 'watermarkLag')).toMatchObject({
      Namespace: 'Acme/Errors',
      Threshold: 45,
    });
  });

  it('fires when the dead-letter queue holds a message', () => {
    expect(alarmProperties(defaults, 'failedInvocations')).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        { Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(defaults.stack.failureQueue), 'QueueName'] } },
      ],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('notifies the alarm topic on alarm and recovery', () => {
    const topic = { Ref: logicalId(defaults.stack.monitoring.alarmTopic) };
    const names = Object.keys(defaults.stack.monitoring.alarms) as AlarmName[];
    expect(names).toHaveLength(5);
    for (const name of names) {
      const properties = alarmProperties(defaults, name);
      expect(properties.AlarmActions).toEqual([topic]);
      expect(properties.OKActions).toEqual([topic]);
    }
  });

  it('lets CloudWatch publish to the alarm topic', () => {
    defaults.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: logicalId(defaults.stack.monitoring.alarmTopic) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'sns:Publish', Principal: { Service: 'cloudwatch.amazonaws.com' } }),
        ]),
      },
    });
  });

  it('subscribes the alarm email only when given', () => {
    defaults.template.resourceCountIs('AWS::SNS::Subscription', 0);
    custom.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
      TopicArn: { Ref: logicalId(custom.stack.monitoring.alarmTopic) },
    });
  });
});

describe('dashboard', () => {
  it('charts the exporter metrics', () => {
    const dashboards = Object.values(defaults.template.findResources('AWS::CloudWatch::Dashboard')) as Array<{
      Properties: { DashboardName: string; DashboardBody: unknown };
    }>;
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0]?.Properties.DashboardName).toBe('error-tracking-export');
    const body = JSON.stringify(dashboards[0]?.Properties.DashboardBody);
    for (const metric of [
      'IssuesExported',
      'Searches',
      'Splits',
      'IncompleteWindows',
      'RateLimited',
      'Retries',
      'EventsPublished',
      'WatermarkLagMinutes',
      'DurationMs',
    ]) {
      expect(body).toContain(metric);
    }
  });
});
