import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatadogAuthError } from '../../lib/datadog/errors';
import { parseLambdaConfig } from '../../lib/lambda/config';
import { createBackfillDayHandler, createExportHandler } from '../../lib/lambda/handlers';
import { BackfillStoppedError, type ScheduledExportResult } from '../../lib/lambda/run';
import { generateOrg, type RunningSimulator, startSimulator } from '../../lib/simulator';
import { compareWithGroundTruth } from '../../lib/simulator/verify';
import { openWarehouse, runQuery } from '../../lib/warehouse/duckdb';
import { type RunningEventBridgeServer, startEventBridgeServer } from '../support/eventbridge-server';
import { type RunningS3rver, startS3rver } from '../support/s3rver';
import { captureOutput, downloadPrefix, fakeContext, fakeGlue, fakeSecrets } from './support';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const BUCKET = 'warehouse-bucket';
const API_KEY = 'dd-api-key-7f3a9c1e5b2d4680';
const APP_KEY = 'dd-app-key-0e9d8c7b6a594837';
const EVENT_SOURCE = 'error-tracking-export-test';
const ALARM_METRICS = [
  'IssuesExported',
  'Searches',
  'IncompleteWindows',
  'RateLimited',
  'Retries',
  'EventsPublished',
  'WatermarkLagMinutes',
  'DurationMs',
];

interface Environment {
  simulator: RunningSimulator;
  s3: RunningS3rver;
  eventBridge: RunningEventBridgeServer;
  glue: ReturnType<typeof fakeGlue>;
  secrets: ReturnType<typeof fakeSecrets>;
  clock: { time: number; now: () => number };
  directory: string;
}

let environment: Environment | undefined;
/** Powertools writes logs and EMF metrics to stdout; every test captures them, and some read them. */
let output: ReturnType<typeof captureOutput>;

beforeEach(() => {
  output = captureOutput();
});

afterEach(async () => {
  output.restore();
  if (!environment) return;
  await environment.simulator.close();
  await environment.s3.close();
  await environment.eventBridge.close();
  await rm(environment.directory, { recursive: true, force: true });
  environment = undefined;
});

async function start(): Promise<Environment> {
  const org = generateOrg({
    distribution: 'uniform',
    issues: 120,
    services: 5,
    seed: 7,
    oddServiceNames: true,
  });
  const simulator = await startSimulator({ org, apiKey: API_KEY, appKey: APP_KEY });
  const clock = { time: org.to + 10 * MINUTE, now: () => clock.time };
  environment = {
    simulator,
    s3: await startS3rver([BUCKET]),
    eventBridge: await startEventBridgeServer(),
    glue: fakeGlue(),
    secrets: fakeSecrets(JSON.stringify({ DD_API_KEY: API_KEY, DD_APP_KEY: APP_KEY })),
    clock,
    directory: await mkdtemp(join(tmpdir(), 'ete-lambda-')),
  };
  return environment;
}

function configFor(env: Environment, overrides: Record<string, string> = {}) {
  return parseLambdaConfig({
    DD_API_URL: env.simulator.url,
    DD_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:datadog-AbCdEf',
    WAREHOUSE_URL: `s3://${BUCKET}/warehouse`,
    STATE_URL: `s3://${BUCKET}/warehouse/_state/`,
    EVENTS_TARGET: 'eventbridge:arn:aws:events:us-east-1:123456789012:event-bus/error-tracking',
    EVENT_SOURCE,
    INITIAL_LOOKBACK_HOURS: '6',
    GLUE_DATABASE: 'error_tracking',
    METRICS_NAMESPACE: 'ErrorTrackingExportTest',
    POWERTOOLS_SERVICE_NAME: 'export',
    ...overrides,
  });
}

function dependenciesFor(env: Environment, overrides: Record<string, string> = {}, advancePerRequestMs = 0) {
  const config = configFor(env, overrides);
  return {
    config,
    clients: {
      s3: env.s3.client,
      eventBridge: env.eventBridge.client,
      glue: env.glue.client,
      secretsManager: env.secrets.client,
    },
    logger: new Logger({ serviceName: config.serviceName, logLevel: 'DEBUG' as const }),
    metrics: new Metrics({ namespace: config.metricsNamespace, serviceName: config.serviceName }),
    now: env.clock.now,
    datadogClient: {
      sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.min(ms, 5))),
      // Each Datadog request moves the clock, so the deadline is reached by work done, not by waiting.
      fetch: (input: string | URL | Request, init?: RequestInit) => {
        env.clock.time += advancePerRequestMs;
        return fetch(input, init);
      },
    },
  };
}

/** Downloads the warehouse and compares it with the simulator's ground truth over the org's range. */
async function verifyWarehouse(env: Environment) {
  const folder = await mkdtemp(join(env.directory, 'warehouse-'));
  await downloadPrefix(env.s3.client, BUCKET, 'warehouse', folder);
  const warehouse = await openWarehouse(folder);
  try {
    const { from, to } = env.simulator.org;
    const comparison = await compareWithGroundTruth(
      warehouse,
      env.simulator.groundTruth({ from, to, bucketMs: HOUR }),
      { from, to },
    );
    expect(comparison.expected).toBeGreaterThan(0);
    expect(comparison.missing).toEqual([]);
    expect(comparison.wrongTotals).toEqual([]);
    expect(comparison.unexpected).toEqual([]);
    expect(comparison.duplicateRows).toBe(0);
    const services = await runQuery(
      warehouse.connection,
      `SELECT DISTINCT coalesce(nullif(service, ''), '__HIVE_DEFAULT_PARTITION__') AS service,
              CAST(dt AS VARCHAR) AS dt FROM issues ORDER BY 1, 2`,
    );
    return { comparison, partitions: services.rows.map((row) => [row.service, row.dt]) };
  } finally {
    warehouse.close();
  }
}

function emfRecords(records: Record<string, unknown>[]) {
  return records.flatMap((record) => {
    const aws = record._aws as
      | {
          CloudWatchMetrics: Array<{
            Namespace: string;
            Dimensions: string[][];
            Metrics: Array<{ Name: string }>;
          }>;
        }
      | undefined;
    const [directive] = aws?.CloudWatchMetrics ?? [];
    if (!directive) return [];
    return directive.Metrics.map((metric) => ({
      namespace: directive.Namespace,
      name: metric.Name,
      dimensions: directive.Dimensions,
      value: record[metric.Name] as number,
      service: record.service,
      kind: record.kind,
    }));
  });
}

const iso = (ms: number) => new Date(ms).toISOString();

describe('scheduled export', () => {
  it('exports into S3 readable by DuckDB, registers partitions and emits the metrics the alarms use', async () => {
    const env = await start();
    const { from, to } = env.simulator.org;
    const handler = createExportHandler(dependenciesFor(env));
    const result = await handler({}, fakeContext(14 * MINUTE));
    expect(result).toMatchObject({
      status: 'complete',
      from: iso(from),
      to: iso(to),
      bucketsExported: 6,
      bucketsNotStarted: 0,
      watermark: iso(to),
      backlogBuckets: 0,
      eventsPublished: 0,
    });

    const { comparison, partitions } = await verifyWarehouse(env);
    expect(result.rows).toBe(comparison.expected);
    // Unescaped service values, '' and missing services in the default partition, one partition each.
    expect([...env.glue.partitions.values()].map((partition) => partition.values).sort()).toEqual(partitions);
    expect(partitions.some(([service]) => /[/:=%]/.test(service as string))).toBe(true);
    expect(result.partitions).toEqual({ created: partitions.length, existing: 0, cached: 0 });

    const metrics = emfRecords(output.records());
    for (const name of ALARM_METRICS) {
      const metric = metrics.find((candidate) => candidate.name === name);
      expect(metric, name).toMatchObject({
        namespace: 'ErrorTrackingExportTest',
        dimensions: [['service']],
        service: 'export',
      });
    }
    const value = (name: string) => metrics.find((metric) => metric.name === name)?.value;
    expect(value('IssuesExported')).toBe(result.rows);
    expect(value('Searches')).toBe(env.simulator.stats.searches);
    expect(value('IncompleteWindows')).toBe(0);
    expect(value('WatermarkLagMinutes')).toBe(10);
    const splits = metrics.filter((metric) => metric.name === 'Splits');
    expect(splits.map((metric) => metric.kind).sort()).toEqual([
      'error_type',
      'page',
      'service',
      'states',
      'time',
      'track',
    ]);
    expect(splits.every((metric) => JSON.stringify(metric.dimensions) === '[["service","kind"]]')).toBe(true);
  });

  it('stops before the deadline, commits the finished prefix, and the next run resumes from the watermark', async () => {
    const env = await start();
    const { from, to } = env.simulator.org;
    const handler = createExportHandler(dependenciesFor(env, { LOOKBACK_BUCKETS: '1' }, 1_000));

    // The deadline is one millisecond after the start: the first bucket starts, no other does.
    const stopped = await handler({}, fakeContext(90_000 + 1));
    expect(stopped).toMatchObject({
      status: 'stopped',
      from: iso(from),
      bucketsExported: 1,
      bucketsNotStarted: 5,
      watermark: iso(from + HOUR),
      backlogBuckets: 5,
    });

    const resumed = await handler({}, fakeContext(14 * MINUTE));
    expect(resumed).toMatchObject({
      status: 'complete',
      from: iso(from), // the watermark minus LOOKBACK_BUCKETS
      to: iso(to),
      bucketsExported: 6,
      watermark: iso(to),
      backlogBuckets: 0,
    });
    await verifyWarehouse(env);
  });

  it('does not start, nor end the baseline, when the deadline has already passed', async () => {
    const env = await start();
    const handler = createExportHandler(dependenciesFor(env));
    const result = await handler({}, fakeContext(30_000));
    expect(result).toMatchObject({
      status: 'stopped',
      bucketsExported: 0,
      bucketsNotStarted: 6,
      watermark: null,
    });
    expect(env.simulator.stats.searches).toBe(0);
    await expect(
      env.s3.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'warehouse/_state/state.json.gz' })),
    ).rejects.toMatchObject({ name: 'NotFound' });
    expect(output.records().map((record) => record.message)).toContain(
      'Export skipped: too little time left before the timeout',
    );
  });

  it('catches up a backlog over several runs with no gap and no duplicate', async () => {
    const env = await start();
    const { from } = env.simulator.org;
    const handler = createExportHandler(
      dependenciesFor(env, { MAX_BUCKETS_PER_RUN: '3', LOOKBACK_BUCKETS: '1' }),
    );
    const runs: ScheduledExportResult[] = [];
    for (let run = 0; run < 4; run++) runs.push(await handler({}, fakeContext(14 * MINUTE)));
    expect(runs.map((run) => [run.status, run.from, run.to, run.watermark, run.backlogBuckets])).toEqual([
      ['complete', iso(from), iso(from + 3 * HOUR), iso(from + 3 * HOUR), 3],
      ['complete', iso(from + 2 * HOUR), iso(from + 5 * HOUR), iso(from + 5 * HOUR), 1],
      ['complete', iso(from + 4 * HOUR), iso(from + 6 * HOUR), iso(from + 6 * HOUR), 0],
      ['complete', iso(from + 5 * HOUR), iso(from + 6 * HOUR), iso(from + 6 * HOUR), 0],
    ]);
    await verifyWarehouse(env);
    // Later runs only send partitions this container has not registered yet.
    const registered = runs.reduce((sum, run) => sum + run.partitions!.created, 0);
    expect(registered).toBe(env.glue.partitions.size);
    expect(runs[3]!.partitions).toMatchObject({ created: 0, existing: 0 });
  });

  it('publishes state changes to EventBridge, while a backfill day moves neither the state nor events', async () => {
    const env = await start();
    const dependencies = dependenciesFor(env, { RECHECK_MAX_AGE_MINUTES: '1' });
    const handler = createExportHandler(dependencies);
    expect(await handler({}, fakeContext(14 * MINUTE))).toMatchObject({
      status: 'complete',
      eventsPublished: 0,
    });

    const issue = env.simulator.org.issues.find((candidate) => candidate.state === 'OPEN')!;
    env.simulator.setIssueState(issue.id, 'RESOLVED');
    env.clock.time += 2 * HOUR;
    const second = await handler({}, fakeContext(14 * MINUTE));
    expect(second.eventsPublished).toBeGreaterThanOrEqual(1);
    expect(env.eventBridge.accepted).toHaveLength(second.eventsPublished);
    const change = env.eventBridge.accepted.find((entry) => JSON.parse(entry.Detail!).issue_id === issue.id);
    expect(change).toMatchObject({ Source: EVENT_SOURCE, DetailType: 'Issue State Changed' });
    expect(JSON.parse(change!.Detail!)).toMatchObject({ previous_state: 'OPEN', state: 'RESOLVED' });
    expect(
      [...env.glue.partitions.values()].filter((partition) => partition.table === 'issue_state_changes'),
    ).toEqual([
      {
        table: 'issue_state_changes',
        values: [iso(env.clock.time).slice(0, 10)],
        location: `s3://${BUCKET}/warehouse/issue_state_changes/dt=${iso(env.clock.time).slice(0, 10)}/`,
      },
    ]);

    const stateKey = 'warehouse/_state/state.json.gz';
    const stateBefore = await env.s3.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: stateKey }));
    env.simulator.setIssueState(issue.id, 'OPEN');
    const backfillDay = createBackfillDayHandler({
      ...dependencies,
      logger: new Logger(),
      metrics: new Metrics(),
    });
    const { from } = env.simulator.org;
    const day = await backfillDay({ from: iso(from), to: iso(from + 2 * HOUR) }, fakeContext(14 * MINUTE));
    expect(day).toMatchObject({ status: 'complete', from: iso(from), to: iso(from + 2 * HOUR) });
    expect(day.rows).toBeGreaterThan(0);
    const stateAfter = await env.s3.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: stateKey }));
    expect(stateAfter.ETag).toBe(stateBefore.ETag);
    expect(env.eventBridge.accepted).toHaveLength(second.eventsPublished);

    await expect(
      backfillDay({ from: iso(from), to: iso(from + 2 * HOUR) }, fakeContext(1_000)),
    ).rejects.toThrow(BackfillStoppedError);
    await expect(backfillDay({ from: 'yesterday' }, fakeContext(14 * MINUTE))).rejects.toThrow(
      /^Backfill "from" "yesterday" is not a time/,
    );
  });

  it('never logs the Datadog keys, and re-reads a secret whose keys Datadog rejected', async () => {
    const env = await start();
    const wrongAppKey = 'dd-app-key-wrong-5a4b3c2d1e0f';
    env.secrets.state.value = JSON.stringify({ DD_API_KEY: API_KEY, DD_APP_KEY: wrongAppKey });
    const handler = createExportHandler(dependenciesFor(env));
    await expect(handler({}, fakeContext(14 * MINUTE))).rejects.toThrow(DatadogAuthError);
    env.secrets.state.value = JSON.stringify({ DD_API_KEY: API_KEY, DD_APP_KEY: APP_KEY });
    env.simulator.injectFaults('rate_limited', 1, { endpoint: 'search' });
    env.simulator.injectFaults('server_error', 1, { endpoint: 'search' });
    expect(await handler({}, fakeContext(14 * MINUTE))).toMatchObject({ status: 'complete' });
    await handler({}, fakeContext(14 * MINUTE));
    expect(env.secrets.state.requests).toHaveLength(2);

    const text = output.text();
    const messages = output.records().map((record) => record.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        'Export failed',
        'Datadog rate limit hit',
        'Datadog request retried',
        'Export starting',
        'Export finished',
      ]),
    );
    const metrics = emfRecords(output.records());
    expect(metrics.find((metric) => metric.name === 'RateLimited' && metric.value === 1)).toBeDefined();
    expect(metrics.find((metric) => metric.name === 'Retries' && metric.value >= 1)).toBeDefined();
    for (const secret of [API_KEY, APP_KEY, wrongAppKey]) expect(text).not.toContain(secret);
  });
});
