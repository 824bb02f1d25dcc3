import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  DefinitionBody,
  JitterType,
  JsonPath,
  LogLevel,
  Map as MapState,
  StateMachine,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { nagArnReference } from './nag';

/**
 * How many days the backfill exports at once. Datadog publishes no fixed limit for issue search: each
 * exporter reads `X-RateLimit-Limit`/`X-RateLimit-Period` from the responses and paces itself, but a copy
 * only sees its own requests, so concurrent copies overshoot together until 429s slow them down.
 * Worst case in flight: (maxConcurrency backfill days + 1 scheduled export) × CONCURRENCY requests, and
 * with ~1 s per search that many requests per second. Keep it under limit ÷ period: for a limit of, say,
 * 1000 requests per 60 s (≈16.7/s; read yours with `curl -i` on one search), CONCURRENCY 4 allows
 * 16.7 ÷ 4 ≈ 4 copies, minus the scheduled export leaves 3 backfill days. The default 2, i.e. 12 requests
 * in flight, keeps a third of that budget for retries and other users of the same Datadog organization.
 */
export const DEFAULT_BACKFILL_MAX_CONCURRENCY = 2;

export interface BackfillProps {
  /** Splits `{from, to}` into `{items: [{from, to}]}`, one item per day. */
  readonly planFunction: IFunction;
  /** Exports one `{from, to}` item. Give it reserved concurrency `maxConcurrency` to make the cap hard. */
  readonly dayFunction: IFunction;
  /**
   * Days exported at once; see DEFAULT_BACKFILL_MAX_CONCURRENCY for the rate-limit arithmetic.
   * @default 2
   */
  readonly maxConcurrency?: number;
  /**
   * Trace executions with X-Ray.
   * @default true
   */
  readonly tracing?: boolean;
  /**
   * How long execution logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/**
 * Re-exports a past period: start an execution with `{"from": "...", "to": "..."}`. Every day is written
 * idempotently, so a failed backfill can simply be started again.
 */
export class Backfill extends Construct {
  readonly stateMachine: StateMachine;
  readonly maxConcurrency: number;

  constructor(scope: Construct, id: string, props: BackfillProps) {
    super(scope, id);
    this.maxConcurrency = props.maxConcurrency ?? DEFAULT_BACKFILL_MAX_CONCURRENCY;
    if (!Number.isInteger(this.maxConcurrency) || this.maxConcurrency < 1) {
      throw new RangeError(`${id}: maxConcurrency must be a positive integer, got ${this.maxConcurrency}.`);
    }

    const plan = new LambdaInvoke(this, 'Plan days', {
      lambdaFunction: props.planFunction,
      payloadResponseOnly: true,
      retryOnServiceExceptions: true,
    });
    const exportDay = new LambdaInvoke(this, 'Export day', {
      lambdaFunction: props.dayFunction,
      payloadResponseOnly: true,
      retryOnServiceExceptions: true,
    });
    // The day function's reserved concurrency throttles a second backfill running at the same time.
    exportDay.addRetry({
      errors: ['Lambda.TooManyRequestsException'],
      interval: Duration.seconds(30),
      maxAttempts: 10,
      backoffRate: 2,
      maxDelay: Duration.minutes(10),
      jitterStrategy: JitterType.FULL,
    });
    const eachDay = new MapState(this, 'Each day', {
      itemsPath: JsonPath.stringAt('$.items'),
      maxConcurrency: this.maxConcurrency,
      // Day results are not needed and would grow the state past its 256 KB limit on long backfills.
      resultPath: JsonPath.DISCARD,
    });
    eachDay.itemProcessor(exportDay);

    const logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      comment: 'Backfill: split {from, to} into days and export them with bounded concurrency',
      definitionBody: DefinitionBody.fromChainable(plan.next(eachDay)),
      logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: props.tracing ?? true,
    });
    const role = this.stateMachine.role;
    for (const lambdaFunction of [props.planFunction, props.dayFunction]) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagArnReference(lambdaFunction)}:*]`,
        reason:
          'lambda:InvokeFunction on one backfill function and its versions; `:*` is the version qualifier.',
      });
    }
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray PutTraceSegments and CloudWatch Logs delivery actions do not support resource-level permissions.',
    });
    if (props.tracing === false) {
      Validations.of(this.stateMachine).acknowledge({
        id: 'AwsSolutions-SF2',
        reason:
          'X-Ray was turned off with the tracing prop; execution logs at level ALL still record every state.',
      });
    }
  }
}
