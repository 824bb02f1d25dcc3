import { Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { ErrorTrackingExportStack, type ErrorTrackingExportStackProps } from '../../infra/stack';
import { testApp } from './synth';

const env = { account: '123456789012', region: 'eu-west-1' };

function findings(props: ErrorTrackingExportStackProps) {
  const app = testApp();
  const stack = new ErrorTrackingExportStack(app, 'Nag', { env, ...props });
  const report = new AwsSolutionsChecks(app).validateScope(app);
  return { app, stack, report };
}

const describeViolations = (
  violations: Array<{ ruleName: string; violatingResources: Array<{ constructPath?: string }> }>,
) =>
  violations.map(
    (violation) =>
      `${violation.ruleName} at ${violation.violatingResources.map((r) => r.constructPath).join(', ')}`,
  );

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged in the default stack', () => {
    const { stack, report } = findings({});
    expect(describeViolations(report.violations)).toEqual([]);
    expect(report.success).toBe(true);
    expect(Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual(
      [],
    );
  });

  it('finds nothing unacknowledged with every option switched', () => {
    const { report } = findings({
      existingSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:datadog-AbC123',
      useDefaultEventBus: true,
      objectLockDays: 30,
      alarmEmail: 'oncall@example.com',
      warehousePrefix: '',
      backfillTracing: false,
      backfillMaxConcurrency: 4,
    });
    expect(describeViolations(report.violations)).toEqual([]);
  });

  it('passes as a synthesis-time validation plugin, as infra/app.ts registers it', () => {
    const app = testApp();
    new ErrorTrackingExportStack(app, 'Plugin', { env });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });

  it('does report a finding the stack has not acknowledged', () => {
    const app = testApp();
    const stack = new Stack(app, 'Bare', { env });
    new Bucket(stack, 'Unlogged');
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(report.violations.map((violation) => violation.ruleName)).toEqual(
      expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']),
    );
  });

  it('gives every acknowledgement a written reason', () => {
    const { stack } = findings({ backfillTracing: false });
    const acknowledgements = [stack, ...stack.node.findAll()].flatMap((construct) =>
      construct.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) => Object.entries(entry.data as Record<string, string>)),
    );
    expect(acknowledgements.length).toBeGreaterThanOrEqual(8);
    for (const [id, reason] of acknowledgements) {
      expect(id).toMatch(/AwsSolutions-[A-Z]+\d+/);
      expect(reason.length, id).toBeGreaterThan(40);
    }
  });
});
