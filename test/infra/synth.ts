import { readFileSync } from 'node:fs';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { PROJECT_ROOT } from '../../infra/bundling';
import { ErrorTrackingExportStack, type ErrorTrackingExportStackProps } from '../../infra/stack';

const cdkJson = JSON.parse(readFileSync(`${PROJECT_ROOT}/cdk.json`, 'utf8')) as {
  context: Record<string, unknown>;
};

/**
 * An app with the same feature flags as `cdk synth`, minus the slow parts tests do not need: esbuild
 * bundling (`aws:cdk:bundling-stacks: []`) and CDK's built-in CloudFormation template validation.
 */
export function testApp(): App {
  return new App({
    context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] },
    builtinCloudFormationValidation: false,
  });
}

export interface SynthesizedStack {
  readonly stack: ErrorTrackingExportStack;
  readonly template: Template;
}

export function synthesizeStack(props: ErrorTrackingExportStackProps = {}): SynthesizedStack {
  const app = testApp();
  const stack = new ErrorTrackingExportStack(app, 'Test', {
    env: { account: '123456789012', region: 'eu-west-1' },
    ...props,
  });
  return { stack, template: Template.fromStack(stack) };
}

/** The logical id of a construct's CloudFormation resource. */
export function logicalId(construct: IConstruct): string {
  const resource = construct.node.defaultChild as CfnElement | undefined;
  if (resource === undefined) {
    throw new Error(`${construct.node.path} has no CloudFormation resource.`);
  }
  return Stack.of(construct).getLogicalId(resource);
}

/**
 * Flattens an `Fn::Join` into text, writing each reference as `<LogicalId>` or `<LogicalId.Attribute>`,
 * so JSON documents built from tokens (state machine definitions, dashboards) can be parsed and compared.
 */
export function flattenJoin(value: unknown): string {
  if (typeof value === 'string') {
    return value;
  }
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (Array.isArray(record['Fn::Join'])) {
      const [separator, parts] = record['Fn::Join'] as [string, unknown[]];
      return parts.map(flattenJoin).join(separator);
    }
    if (typeof record.Ref === 'string') {
      return `<${record.Ref}>`;
    }
    if (Array.isArray(record['Fn::GetAtt'])) {
      return `<${(record['Fn::GetAtt'] as string[]).join('.')}>`;
    }
  }
  throw new Error(`Cannot flatten ${JSON.stringify(value)}`);
}

/** The properties of the one resource with this logical id. */
export function resourceProperties(template: Template, id: string): Record<string, unknown> {
  const resource = template.toJSON().Resources[id] as { Properties: Record<string, unknown> } | undefined;
  if (resource === undefined) {
    throw new Error(`No resource ${id} in the template.`);
  }
  return resource.Properties;
}

export interface PolicyStatementJson {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

/** Every statement of the inline policies attached to a role. */
export function roleStatements(template: Template, roleLogicalId: string): PolicyStatementJson[] {
  const policies = template.findResources('AWS::IAM::Policy') as Record<
    string,
    { Properties: { Roles: Array<{ Ref: string }>; PolicyDocument: { Statement: PolicyStatementJson[] } } }
  >;
  return Object.values(policies)
    .filter((policy) => policy.Properties.Roles.some((role) => role.Ref === roleLogicalId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

export function actionsOf(statement: PolicyStatementJson): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}
