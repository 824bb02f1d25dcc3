import * as path from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, type IDestination, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { exportBundlingOptions, PROJECT_ROOT } from './bundling';

export interface ExporterFunctionProps {
  /** Entry point relative to the project root, for example `functions/export.ts`. */
  readonly entry: string;
  readonly description: string;
  readonly environment: Readonly<Record<string, string>>;
  /**
   * Lambda timeout (at most 15 minutes).
   * @default Duration.minutes(14)
   */
  readonly timeout?: Duration;
  /**
   * Memory in MB; CPU share grows with it, which speeds up Parquet encoding.
   * @default 1024
   */
  readonly memorySize?: number;
  /**
   * Reserved concurrency; caps how many copies run at once.
   * @default - no reservation
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Where failed asynchronous invocations go.
   * @default - none (the function is only invoked synchronously)
   */
  readonly onFailure?: IDestination;
  /**
   * How long the function's logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/**
 * One Lambda function built from the exporter's code: Node 22 on ARM64, bundled locally by esbuild, with its
 * own log group and a role that may write only to that log group until permissions are granted.
 */
export class ExporterFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ExporterFunctionProps) {
    super(scope, id);
    const timeout = props.timeout ?? Duration.minutes(14);
    if (timeout.toSeconds() > 900) {
      throw new RangeError(`${id}: timeout must be at most 15 minutes, got ${timeout.toHumanString()}.`);
    }

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // A role of our own instead of AWSLambdaBasicExecutionRole, whose log permissions cover every log group.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${props.entry}`,
    });
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    this.function = new NodejsFunction(this, 'Function', {
      entry: path.join(PROJECT_ROOT, props.entry),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 1024,
      timeout,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      role: this.role,
      logGroup: this.logGroup,
      onFailure: props.onFailure,
      // A failed export is retried by the next scheduled run, which resumes from the saved watermark.
      retryAttempts: props.onFailure === undefined ? undefined : 0,
      bundling: exportBundlingOptions(),
    });
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'Node.js 22 is the runtime the exporter is built and tested for; move to 24 together with CI.',
    });
  }
}
