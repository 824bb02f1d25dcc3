import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ConfigError } from '../lib/errors';
import { nagArnReference } from './nag';

export interface ExportScheduleProps {
  readonly target: IFunction;
  /** Receives invocations that EventBridge Scheduler could not deliver. */
  readonly deadLetterQueue: IQueue;
  /**
   * When to run the export.
   * @default ScheduleExpression.rate(Duration.minutes(15))
   */
  readonly schedule?: ScheduleExpression;
}

/** Starts the export on a schedule. Scheduler invokes Lambda asynchronously, so run failures go to its DLQ. */
export class ExportSchedule extends Construct {
  readonly schedule: Schedule;

  constructor(scope: Construct, id: string, props: ExportScheduleProps) {
    super(scope, id);
    this.schedule = new Schedule(this, 'Schedule', {
      description: 'Runs the error-tracking export',
      schedule: props.schedule ?? ScheduleExpression.rate(Duration.minutes(15)),
      target: new LambdaInvoke(props.target, {
        deadLetterQueue: props.deadLetterQueue,
        // A missed run is covered by the next one, which resumes from the saved watermark.
        retryAttempts: 2,
        maxEventAge: Duration.minutes(10),
      }),
    });
    // Scheduler's target role is a stack-level singleton, so the acknowledgement cannot sit on this construct.
    Validations.of(Stack.of(this)).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagArnReference(props.target)}:*]`,
      reason:
        'lambda:InvokeFunction on the export function and its versions only; the `:*` is the version qualifier.',
    });
  }
}

/** Parses `rate(15 minutes)`, `cron(...)`, `at(...)` or a number of minutes, as given in `-c schedule=...`. */
export function parseScheduleExpression(text: string): ScheduleExpression {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) {
    return ScheduleExpression.rate(Duration.minutes(Number(trimmed)));
  }
  if (/^(rate|cron|at)\(.+\)$/.test(trimmed)) {
    return ScheduleExpression.expression(trimmed);
  }
  throw new ConfigError(`-c schedule=${text}: expected minutes (15), rate(15 minutes) or cron(...).`);
}
