import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/errors';
import { createBackfillPlanHandler, MAX_BACKFILL_DAYS, planBackfill } from '../../lib/lambda/backfill-plan';
import { parseLambdaConfig } from '../../lib/lambda/config';
import { planExportRange } from '../../lib/lambda/run';
import { captureOutput, fakeContext } from './support';

const HOUR = 3_600_000;
const MINUTE = 60_000;

/** What `infra/stack.ts` deploys. */
const STACK_ENVIRONMENT = {
  DD_SITE: 'datadoghq.eu',
  DD_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:datadog-AbCdEf',
  WAREHOUSE_URL: 's3://warehouse-bucket/warehouse',
  STATE_URL: 's3://warehouse-bucket/warehouse/_state/',
  EVENTS_TARGET: 'eventbridge:arn:aws:events:eu-west-1:123456789012:event-bus/error-tracking',
  EVENT_SOURCE: 'error-tracking-export',
  EXPORT_QUERY: '*',
  EXPORT_PERSONA: 'ALL',
  BUCKET_DURATION: '1h',
  LOOKBACK_BUCKETS: '2',
  INGESTION_LAG_MINUTES: '10',
  GLUE_DATABASE: 'error_tracking',
  GLUE_ISSUES_TABLE: 'issues',
  GLUE_STATE_CHANGES_TABLE: 'issue_state_changes',
  METRICS_NAMESPACE: 'ErrorTrackingExport',
  POWERTOOLS_SERVICE_NAME: 'export',
  CONCURRENCY: '4',
  STATE_SPLITS: 'true',
  TRACK_SPLITS: 'true',
  ISSUE_PAGES: 'true',
};

function configError(overrides: Record<string, string | undefined>): string {
  try {
    parseLambdaConfig({ ...STACK_ENVIRONMENT, ...overrides });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('expected a ConfigError');
}

describe('parseLambdaConfig', () => {
  it('reads the environment the stack deploys, with defaults for the rest', () => {
    expect(parseLambdaConfig(STACK_ENVIRONMENT)).toEqual({
      serviceName: 'export',
      datadog: {
        site: 'datadoghq.eu',
        baseUrl: 'https://api.datadoghq.eu',
        secretId: STACK_ENVIRONMENT.DD_SECRET_ARN,
      },
      warehouse: { bucket: 'warehouse-bucket', prefix: 'warehouse' },
      state: { bucket: 'warehouse-bucket', prefix: 'warehouse/_state' },
      events: {
        eventBusName: 'arn:aws:events:eu-west-1:123456789012:event-bus/error-tracking',
        source: 'error-tracking-export',
      },
      scopes: [{ query: '*', persona: 'ALL' }],
      bucketMs: HOUR,
      lookbackBuckets: 2,
      ingestionLagMs: 10 * MINUTE,
      initialLookbackMs: 24 * HOUR,
      maxBucketsPerRun: 96,
      deadlineMarginMs: 90_000,
      concurrency: 4,
      stateSplits: true,
      trackSplits: true,
      issuePages: true,
      recheckMaxAgeMs: HOUR,
      recheckBudget: 500,
      glue: { database: 'error_tracking', issuesTable: 'issues', stateChangesTable: 'issue_state_changes' },
      metricsNamespace: 'ErrorTrackingExport',
    });
  });

  it('reads STATE_SPLITS, allowing state splits when it is unset', () => {
    expect(parseLambdaConfig({ ...STACK_ENVIRONMENT, STATE_SPLITS: 'FALSE' }).stateSplits).toBe(false);
    expect(parseLambdaConfig({ ...STACK_ENVIRONMENT, STATE_SPLITS: undefined }).stateSplits).toBe(true);
  });

  it('reads TRACK_SPLITS, allowing track splits when it is unset', () => {
    expect(parseLambdaConfig({ ...STACK_ENVIRONMENT, TRACK_SPLITS: 'false' }).trackSplits).toBe(false);
    expect(parseLambdaConfig({ ...STACK_ENVIRONMENT, TRACK_SPLITS: undefined }).trackSplits).toBe(true);
  });

  it('reads ISSUE_PAGES, allowing pages by issue id when it is unset', () => {
    expect(parseLambdaConfig({ ...STACK_ENVIRONMENT, ISSUE_PAGES: 'false' }).issuePages).toBe(false);
    expect(parseLambdaConfig({ ...STACK_ENVIRONMENT, ISSUE_PAGES: undefined }).issuePages).toBe(true);
  });

  it('searches tracks when the stack adds EXPORT_TRACKS next to its default persona', () => {
    const config = parseLambdaConfig({ ...STACK_ENVIRONMENT, EXPORT_TRACKS: 'trace,rum' });
    expect(config.scopes).toEqual([
      { query: '*', track: 'trace' },
      { query: '*', track: 'rum' },
    ]);
  });

  it('takes DD_API_URL over the site, and leaves events and Glue off when unset', () => {
    const config = parseLambdaConfig({
      ...STACK_ENVIRONMENT,
      DD_API_URL: 'http://127.0.0.1:4010/',
      EVENTS_TARGET: undefined,
      GLUE_DATABASE: '',
      BUCKET_DURATION: '15m',
      MAX_BUCKETS_PER_RUN: '8',
      INITIAL_LOOKBACK_HOURS: '6',
      RECHECK_MAX_AGE_MINUTES: '30',
      RECHECK_BUDGET: '0',
      DEADLINE_MARGIN_SECONDS: '120',
    });
    expect(config).toMatchObject({
      datadog: { baseUrl: 'http://127.0.0.1:4010' },
      events: null,
      glue: null,
      bucketMs: 15 * MINUTE,
      maxBucketsPerRun: 8,
      initialLookbackMs: 6 * HOUR,
      recheckMaxAgeMs: 30 * MINUTE,
      recheckBudget: 0,
      deadlineMarginMs: 120_000,
    });
  });

  it.each([
    [
      { DD_SITE: 'datadoghq.moon' },
      /^Unknown Datadog site "datadoghq.moon": set DD_SITE to one of datadoghq.com,/,
    ],
    [{ DD_API_URL: 'ftp://proxy' }, /^DD_API_URL must use http or https/],
    [{ DD_SECRET_ARN: undefined }, /^DD_SECRET_ARN is not set: set it to the ARN of the secret/],
    [{ DD_SECRET_ARN: 'has spaces in it' }, /^DD_SECRET_ARN must be a Secrets Manager secret ARN or name$/],
    [{ WAREHOUSE_URL: '' }, /^WAREHOUSE_URL is not set: set it to s3:\/\/bucket\/prefix$/],
    [
      { WAREHOUSE_URL: '/tmp/warehouse' },
      /^WAREHOUSE_URL must be an s3:\/\/bucket\/prefix URL, got "\/tmp\/warehouse"$/,
    ],
    [
      { WAREHOUSE_URL: 's3://Bad_Bucket/x' },
      /^WAREHOUSE_URL: Invalid S3 warehouse location "s3:\/\/Bad_Bucket\/x"/,
    ],
    [{ STATE_URL: undefined }, /^STATE_URL is not set/],
    [{ EVENTS_TARGET: 'events.ndjson' }, /^EVENTS_TARGET must be eventbridge:<event bus ARN> in Lambda/],
    [
      { EVENTS_TARGET: 'eventbridge:bad bus' },
      /^EVENTS_TARGET: Events target eventbridge:bad bus has no valid event bus/,
    ],
    [{ EVENT_SOURCE: 'aws.partner' }, /^EVENT_SOURCE: Event source "aws.partner" starts with "aws."/],
    [
      { EXPORT_PERSONA: 'FRONTEND' },
      /^EXPORT_PERSONA must be one of ALL, BROWSER, MOBILE, BACKEND, got "FRONTEND"$/,
    ],
    [{ EXPORT_TRACKS: 'trace,spans' }, /^EXPORT_TRACKS takes a comma list of trace, logs, rum/],
    [
      { EXPORT_PERSONA: 'BACKEND', EXPORT_TRACKS: 'trace' },
      /^EXPORT_PERSONA and EXPORT_TRACKS cannot be combined/,
    ],
    [{ BUCKET_DURATION: '1 hour' }, /^BUCKET_DURATION: Invalid duration "1 hour"/],
    [{ BUCKET_DURATION: '7h' }, /^BUCKET_DURATION must divide a day evenly and be at least 1m/],
    [{ LOOKBACK_BUCKETS: '-1' }, /^LOOKBACK_BUCKETS must be a whole number from 0 to 1000, got "-1"$/],
    [{ INGESTION_LAG_MINUTES: '1.5' }, /^INGESTION_LAG_MINUTES must be a whole number from 0 to 1440/],
    [{ INITIAL_LOOKBACK_HOURS: '0' }, /^INITIAL_LOOKBACK_HOURS must be a whole number from 1 to/],
    [{ CONCURRENCY: '64' }, /^CONCURRENCY must be a whole number from 1 to 32, got "64"$/],
    [{ STATE_SPLITS: 'no' }, /^STATE_SPLITS must be true or false, got "no"$/],
    [{ TRACK_SPLITS: '0' }, /^TRACK_SPLITS must be true or false, got "0"$/],
    [{ RECHECK_BUDGET: 'many' }, /^RECHECK_BUDGET must be a whole number/],
    [{ RECHECK_MAX_AGE_MINUTES: '0' }, /^RECHECK_MAX_AGE_MINUTES must be a whole number from 1/],
    [
      { MAX_BUCKETS_PER_RUN: '2', LOOKBACK_BUCKETS: '2' },
      /^MAX_BUCKETS_PER_RUN \(2\) must be larger than LOOKBACK_BUCKETS \(2\)/,
    ],
    [{ GLUE_ISSUES_TABLE: 'Issues-Table' }, /^GLUE_ISSUES_TABLE must be a Glue name of lowercase letters/],
    [{ METRICS_NAMESPACE: 'AWS/Lambda' }, /^METRICS_NAMESPACE must be 1-255 letters/],
  ])('rejects %o with a one-line message naming the variable', (overrides, expected) => {
    expect(configError(overrides)).toMatch(expected);
  });
});

describe('planExportRange', () => {
  const settings = {
    bucketMs: HOUR,
    lookbackBuckets: 2,
    ingestionLagMs: 10 * MINUTE,
    initialLookbackMs: 24 * HOUR,
    maxBucketsPerRun: 96,
  };
  const now = Date.parse('2026-03-10T12:07:00Z');

  it('starts the first run INITIAL_LOOKBACK_HOURS back and ends at the last closed bucket', () => {
    expect(planExportRange(settings, null, now)).toEqual({
      from: Date.parse('2026-03-09T12:00:00Z'),
      to: Date.parse('2026-03-10T11:00:00Z'),
      closedThrough: Date.parse('2026-03-10T11:00:00Z'),
    });
  });

  it('re-exports LOOKBACK_BUCKETS before the watermark', () => {
    const range = planExportRange(settings, Date.parse('2026-03-10T11:00:00Z'), now);
    expect(range).toMatchObject({
      from: Date.parse('2026-03-10T09:00:00Z'),
      to: Date.parse('2026-03-10T11:00:00Z'),
    });
  });

  it('caps a backlog at MAX_BUCKETS_PER_RUN without skipping any of it', () => {
    const watermark = Date.parse('2026-03-01T00:00:00Z');
    const range = planExportRange({ ...settings, maxBucketsPerRun: 10 }, watermark, now);
    expect(range).toEqual({
      from: watermark - 2 * HOUR,
      to: watermark + 8 * HOUR,
      closedThrough: Date.parse('2026-03-10T11:00:00Z'),
    });
  });

  it('has nothing to do when no bucket closed after the watermark and there is no lookback', () => {
    const watermark = Date.parse('2026-03-10T11:00:00Z');
    expect(planExportRange({ ...settings, lookbackBuckets: 0 }, watermark, now)).toBeNull();
  });
});

describe('planBackfill', () => {
  it('splits a range into UTC days, clipping the first and last', () => {
    expect(planBackfill({ from: '2026-01-30T06:00:00Z', to: '2026-02-02T03:00:00Z' })).toEqual({
      items: [
        { from: '2026-01-30T06:00:00.000Z', to: '2026-01-31T00:00:00.000Z' },
        { from: '2026-01-31T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' },
        { from: '2026-02-01T00:00:00.000Z', to: '2026-02-02T00:00:00.000Z' },
        { from: '2026-02-02T00:00:00.000Z', to: '2026-02-02T03:00:00.000Z' },
      ],
    });
    expect(planBackfill({ from: '2026-01-01', to: '2026-01-02' }).items).toEqual([
      { from: '2026-01-01T00:00:00.000Z', to: '2026-01-02T00:00:00.000Z' },
    ]);
  });

  it.each([
    [null, /^Backfill input must be an object/],
    [{ to: '2026-01-02' }, /^Backfill input needs "from" as an ISO-8601 time/],
    [{ from: '2026-01-01', to: 'tomorrow' }, /^Backfill "to" "tomorrow" is not a time/],
    [{ from: '2026-01-02', to: '2026-01-01' }, /^Backfill "from" must be before "to"/],
    [
      { from: '2020-01-01', to: '2026-01-01' },
      new RegExp(`more than ${MAX_BACKFILL_DAYS}: split it into several backfills$`),
    ],
  ])('rejects %o', (input, expected) => {
    expect(() => planBackfill(input)).toThrow(expected);
    expect(() => planBackfill(input)).toThrow(ConfigError);
  });

  it('logs the plan through the handler and rethrows bad input', async () => {
    const output = captureOutput();
    try {
      const handler = createBackfillPlanHandler({ logger: new Logger({ serviceName: 'backfill' }) });
      const plan = await handler({ from: '2026-01-01', to: '2026-01-03' }, fakeContext(60_000));
      expect(plan.items).toHaveLength(2);
      await expect(handler({ from: 'x', to: 'y' }, fakeContext(60_000))).rejects.toThrow(ConfigError);
    } finally {
      output.restore();
    }
    const records = output.records();
    expect(records.find((record) => record.message === 'Backfill planned')).toMatchObject({
      level: 'INFO',
      service: 'backfill',
      days: 2,
      function_request_id: 'request-1',
    });
    expect(records.find((record) => record.message === 'Backfill plan failed')).toMatchObject({
      level: 'ERROR',
    });
  });
});
