import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ESM_REQUIRE_BANNER,
  exportBundlingOptions,
  PARQUET_WASM_FILE,
  PROJECT_ROOT,
} from '../../infra/bundling';
import { flattenJoin, logicalId, resourceProperties, type SynthesizedStack, synthesizeStack } from './synth';

let defaults: SynthesizedStack;
let custom: SynthesizedStack;

beforeAll(() => {
  defaults = synthesizeStack();
  custom = synthesizeStack({
    schedule: ScheduleExpression.rate(Duration.minutes(30)),
    exportTimeout: Duration.minutes(10),
    exportMemorySize: 2048,
    tracks: ['trace', 'rum'],
    query: 'service:orders-*',
    datadogSite: 'datadoghq.eu',
    warehousePrefix: '',
    backfillMaxConcurrency: 3,
    backfillTracing: false,
    concurrency: 2,
    stateSplits: false,
    trackSplits: false,
    issuePages: false,
  });
});

const exportFunctionProperties = (synthesized: SynthesizedStack) =>
  resourceProperties(synthesized.template, logicalId(synthesized.stack.exportFunction.function));

describe('export function', () => {
  it('runs Node 22 on ARM64, one at a time, with a 14-minute timeout and 1 GB', () => {
    const properties = exportFunctionProperties(defaults);
    expect(properties.Runtime).toBe('nodejs22.x');
    expect(properties.Architectures).toEqual(['arm64']);
    expect(properties.Handler).toBe('index.handler');
    expect(properties.ReservedConcurrentExecutions).toBe(1);
    expect(properties.Timeout).toBe(14 * 60);
    expect(properties.MemorySize).toBe(1024);
  });

  it('takes timeout and memory from props', () => {
    const properties = exportFunctionProperties(custom);
    expect(properties.Timeout).toBe(10 * 60);
    expect(properties.MemorySize).toBe(2048);
  });

  it('rejects a timeout above 15 minutes', () => {
    expect(() => synthesizeStack({ exportTimeout: Duration.minutes(16) })).toThrow(/at most 15 minutes/);
  });

  it('sends failed asynchronous invocations to the dead-letter queue without retrying', () => {
    const functionId = logicalId(defaults.stack.exportFunction.function);
    const configs = Object.values(
      defaults.template.findResources('AWS::Lambda::EventInvokeConfig'),
    ) as Array<{
      Properties: Record<string, unknown>;
    }>;
    expect(configs).toHaveLength(1);
    expect(configs[0]?.Properties).toMatchObject({
      FunctionName: { Ref: functionId },
      MaximumRetryAttempts: 0,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(defaults.stack.failureQueue), 'Arn'] } },
      },
    });
    const queues = defaults.template.findResources('AWS::SQS::Queue');
    const [queue] = Object.values(queues) as Array<{ Properties: Record<string, unknown> }>;
    expect(queue?.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
  });

  it('logs to its own log group with a retention', () => {
    const logGroup = defaults.stack.exportFunction.logGroup;
    expect(exportFunctionProperties(defaults).LoggingConfig).toEqual({
      LogGroup: { Ref: logicalId(logGroup) },
    });
    expect(resourceProperties(defaults.template, logicalId(logGroup)).RetentionInDays).toBe(30);
  });

  it('sets every environment variable the config parser reads', () => {
    const variables = (
      exportFunctionProperties(defaults).Environment as { Variables: Record<string, unknown> }
    ).Variables;
    const bucket = logicalId(defaults.stack.warehouse.bucket);
    const flattened = Object.fromEntries(
      Object.entries(variables).map(([name, value]) => [name, flattenJoin(value)]),
    );
    expect(flattened).toEqual({
      NODE_OPTIONS: '--enable-source-maps',
      DD_SITE: 'datadoghq.com',
      DD_SECRET_ARN: `<${logicalId(defaults.stack.secret.secret)}>`,
      WAREHOUSE_URL: `s3://<${bucket}>/warehouse`,
      STATE_URL: `s3://<${bucket}>/warehouse/_state/`,
      EVENTS_TARGET: `eventbridge:<${logicalId(defaults.stack.events.eventBus)}.Arn>`,
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
    });
  });

  it('passes a persona through when no tracks are given, and refuses both', () => {
    const variables = (
      exportFunctionProperties(defaults).Environment as { Variables: Record<string, unknown> }
    ).Variables;
    expect(variables.EXPORT_PERSONA).toBe('ALL');
    expect(variables.EXPORT_TRACKS).toBeUndefined();
    expect(() => synthesizeStack({ persona: 'BACKEND', tracks: ['rum'] })).toThrow(
      'either persona or tracks',
    );
  });

  it('passes query, tracks, site and an empty prefix through', () => {
    const variables = (exportFunctionProperties(custom).Environment as { Variables: Record<string, unknown> })
      .Variables;
    const bucket = logicalId(custom.stack.warehouse.bucket);
    expect(variables.EXPORT_QUERY).toBe('service:orders-*');
    expect(variables.EXPORT_PERSONA).toBeUndefined();
    expect(variables.EXPORT_TRACKS).toBe('trace,rum');
    expect(variables.DD_SITE).toBe('datadoghq.eu');
    expect(variables.CONCURRENCY).toBe('2');
    expect(variables.STATE_SPLITS).toBe('false');
    expect(variables.TRACK_SPLITS).toBe('false');
    expect(variables.ISSUE_PAGES).toBe('false');
    expect(flattenJoin(variables.WAREHOUSE_URL)).toBe(`s3://<${bucket}>`);
    expect(flattenJoin(variables.STATE_URL)).toBe(`s3://<${bucket}>/_state/`);
  });
});

describe('bundling', () => {
  const options = exportBundlingOptions();

  it('emits minified ESM with source maps, a createRequire banner and the SDK bundled', () => {
    expect(options.format).toBe(OutputFormat.ESM);
    expect(options.minify).toBe(true);
    expect(options.sourceMap).toBe(true);
    expect(options.sourcesContent).toBe(false);
    expect(options.bundleAwsSDK).toBe(true);
    expect(options.forceDockerBundling).toBe(false);
    expect(options.banner).toBe(ESM_REQUIRE_BANNER);
    expect(ESM_REQUIRE_BANNER).toContain('const require = __bannerCreateRequire(import.meta.url);');
    expect(ESM_REQUIRE_BANNER).toContain('const __dirname = ');
  });

  it('copies the parquet-wasm binary next to the bundle', () => {
    const commands = options.commandHooks?.afterBundling('/in', '/out') ?? [];
    expect(commands).toEqual([`cp "/in/${PARQUET_WASM_FILE}" "/out/"`]);
    expect(statSync(path.join(PROJECT_ROOT, PARQUET_WASM_FILE)).size).toBeGreaterThan(1_000_000);
  });

  it('matches how parquet-wasm/node finds its binary at run time', () => {
    // If parquet-wasm stops reading the binary from its own folder, the copy above no longer helps.
    const loader = readFileSync(
      path.join(PROJECT_ROOT, 'node_modules/parquet-wasm/node/parquet_wasm.js'),
      'utf8',
    );
    expect(loader).toContain(['`$', '{__dirname}/parquet_wasm_bg.wasm`'].join(''));
    expect(path.basename(PARQUET_WASM_FILE)).toBe('parquet_wasm_bg.wasm');
  });
});

describe('schedule', () => {
  const scheduleProperties = (synthesized: SynthesizedStack) =>
    resourceProperties(synthesized.template, logicalId(synthesized.stack.exportSchedule.schedule));

  it('runs the export every 15 minutes with a dead-letter queue', () => {
    const properties = scheduleProperties(defaults);
    expect(properties.ScheduleExpression).toBe('rate(15 minutes)');
    expect(properties.State).toBe('ENABLED');
    expect(properties.Target).toMatchObject({
      Arn: { 'Fn::GetAtt': [logicalId(defaults.stack.exportFunction.function), 'Arn'] },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(defaults.stack.failureQueue), 'Arn'] } },
      RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 600 },
    });
  });

  it('takes the rate from props', () => {
    expect(scheduleProperties(custom).ScheduleExpression).toBe('rate(30 minutes)');
  });
});

describe('backfill state machine', () => {
  interface TaskState {
    Type: string;
    Resource?: string;
    Retry?: Array<{ ErrorEquals: string[] }>;
    Next?: string;
  }
  interface MapState {
    Type: 'Map';
    ItemsPath: string;
    MaxConcurrency: number;
    ResultPath: null;
    ItemProcessor: { StartAt: string; States: Record<string, TaskState> };
  }
  const definition = (synthesized: SynthesizedStack) => {
    const properties = resourceProperties(
      synthesized.template,
      logicalId(synthesized.stack.backfill.stateMachine),
    );
    return JSON.parse(flattenJoin(properties.DefinitionString)) as {
      StartAt: string;
      States: { 'Plan days': TaskState; 'Each day': MapState };
    };
  };

  it('plans the days, then exports them in a Map limited to 2 at once', () => {
    const { StartAt, States } = definition(defaults);
    expect(StartAt).toBe('Plan days');
    expect(States['Plan days'].Next).toBe('Each day');
    expect(States['Plan days'].Resource).toBe(
      `<${logicalId(defaults.stack.backfillPlanFunction.function)}.Arn>`,
    );
    const map = States['Each day'];
    expect(map.Type).toBe('Map');
    expect(map.ItemsPath).toBe('$.items');
    expect(map.MaxConcurrency).toBe(2);
    expect(map.ResultPath).toBeNull();
    const exportDay = map.ItemProcessor.States[map.ItemProcessor.StartAt];
    expect(exportDay?.Resource).toBe(`<${logicalId(defaults.stack.backfillDayFunction.function)}.Arn>`);
  });

  it('retries Lambda service errors and throttling', () => {
    const { States } = definition(defaults);
    const map = States['Each day'];
    const retriedErrors = (map.ItemProcessor.States['Export day']?.Retry ?? []).flatMap(
      (retry) => retry.ErrorEquals,
    );
    expect(retriedErrors).toEqual(
      expect.arrayContaining([
        'Lambda.ServiceException',
        'Lambda.AWSLambdaException',
        'Lambda.TooManyRequestsException',
      ]),
    );
    expect((States['Plan days'].Retry ?? []).flatMap((retry) => retry.ErrorEquals)).toContain(
      'Lambda.ServiceException',
    );
  });

  it('caps the day function at the Map concurrency', () => {
    const dayFunction = defaults.stack.backfillDayFunction.function;
    const properties = resourceProperties(defaults.template, logicalId(dayFunction));
    expect(properties.ReservedConcurrentExecutions).toBe(2);
    expect(properties.Runtime).toBe('nodejs22.x');
    expect(properties.Timeout).toBe(900);
    const variables = (properties.Environment as { Variables: Record<string, unknown> }).Variables;
    // Backfill metrics carry their own service dimension so a day-old watermark does not trip the lag alarm.
    expect(variables.POWERTOOLS_SERVICE_NAME).toBe('backfill');
    expect(variables.GLUE_ISSUES_TABLE).toBe('issues');
    const customDay = custom.stack.backfillDayFunction.function;
    expect(resourceProperties(custom.template, logicalId(customDay)).ReservedConcurrentExecutions).toBe(3);
    expect(definition(custom).States['Each day'].MaxConcurrency).toBe(3);
  });

  it('logs every state and traces with X-Ray unless turned off', () => {
    const properties = resourceProperties(defaults.template, logicalId(defaults.stack.backfill.stateMachine));
    expect(properties.LoggingConfiguration).toMatchObject({ Level: 'ALL' });
    expect(properties.TracingConfiguration).toEqual({ Enabled: true });
    const customProperties = resourceProperties(
      custom.template,
      logicalId(custom.stack.backfill.stateMachine),
    );
    expect(customProperties.TracingConfiguration).toEqual({ Enabled: false });
  });

  it('rejects a Map concurrency below 1', () => {
    expect(() => synthesizeStack({ backfillMaxConcurrency: 0 })).toThrow(/positive integer/);
  });
});
