import { describe, expect, it } from 'vitest';
import { stackPropsFromContext } from '../../infra/context';
import { parseScheduleExpression } from '../../infra/export-schedule';
import { ConfigError } from '../../lib/errors';

const reader = (values: Record<string, unknown>) => (key: string) => values[key];

describe('stackPropsFromContext', () => {
  it('leaves every prop unset without context, so stack defaults apply', () => {
    const props = stackPropsFromContext(reader({}));
    expect(Object.values(props).every((value) => value === undefined)).toBe(true);
  });

  it('reads -c values, which arrive as strings', () => {
    const props = stackPropsFromContext(
      reader({
        site: 'datadoghq.eu',
        query: 'service:orders-* AND env:prod',
        persona: 'backend',
        tracks: 'trace, rum',
        schedule: 'rate(30 minutes)',
        existingSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:datadog/keys-AbC123',
        objectLockDays: '365',
        objectLockMode: 'compliance',
        alarmEmail: 'oncall@example.com',
        warehousePrefix: 'exports/',
        useDefaultEventBus: 'true',
        eventSource: 'acme.errors',
        metricsNamespace: 'Acme/Errors',
        concurrency: '2',
        stateSplits: 'false',
        trackSplits: 'false',
        issuePages: 'false',
        backfillMaxConcurrency: '3',
        watermarkLagThresholdMinutes: '90',
      }),
    );
    expect({ ...props, schedule: props.schedule?.expressionString }).toEqual({
      datadogSite: 'datadoghq.eu',
      query: 'service:orders-* AND env:prod',
      persona: 'BACKEND',
      tracks: ['trace', 'rum'],
      schedule: 'rate(30 minutes)',
      existingSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:datadog/keys-AbC123',
      objectLockDays: 365,
      objectLockMode: 'COMPLIANCE',
      alarmEmail: 'oncall@example.com',
      warehousePrefix: 'exports/',
      useDefaultEventBus: true,
      eventSource: 'acme.errors',
      metricsNamespace: 'Acme/Errors',
      concurrency: 2,
      stateSplits: false,
      trackSplits: false,
      issuePages: false,
      backfillMaxConcurrency: 3,
      watermarkLagThresholdMinutes: 90,
    });
  });

  it('accepts numbers and booleans from cdk.json', () => {
    const props = stackPropsFromContext(reader({ objectLockDays: 30, useDefaultEventBus: false }));
    expect(props.objectLockDays).toBe(30);
    expect(props.useDefaultEventBus).toBe(false);
  });

  it.each([
    [{ objectLockDays: '0' }, '-c objectLockDays=0: expected a positive whole number.'],
    [{ concurrency: 'many' }, '-c concurrency=many: expected a positive whole number.'],
    [{ useDefaultEventBus: 'yes' }, '-c useDefaultEventBus=yes: expected true or false.'],
    [{ objectLockMode: 'strict' }, '-c objectLockMode=STRICT: expected GOVERNANCE or COMPLIANCE.'],
    [
      { schedule: 'every hour' },
      '-c schedule=every hour: expected minutes (15), rate(15 minutes) or cron(...).',
    ],
    [
      { existingSecretArn: 'datadog/keys' },
      '-c existingSecretArn: expected the complete secret ARN ending in its 6-character suffix (see describe-secret).',
    ],
  ])('rejects %j with a one-line ConfigError', (values, message) => {
    expect(() => stackPropsFromContext(reader(values))).toThrow(ConfigError);
    expect(() => stackPropsFromContext(reader(values))).toThrow(message);
  });
});

describe('parseScheduleExpression', () => {
  it('turns minutes into a rate and passes rate/cron through', () => {
    expect(parseScheduleExpression('15').expressionString).toBe('rate(15 minutes)');
    expect(parseScheduleExpression('1').expressionString).toBe('rate(1 minute)');
    expect(parseScheduleExpression('cron(0/20 * * * ? *)').expressionString).toBe('cron(0/20 * * * ? *)');
  });
});
