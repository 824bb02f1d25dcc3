import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  actionsOf,
  flattenJoin,
  logicalId,
  type PolicyStatementJson,
  resourceProperties,
  roleStatements,
  type SynthesizedStack,
  synthesizeStack,
} from './synth';

const IMPORTED_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:datadog/keys-AbC123';

let defaults: SynthesizedStack;
let variant: SynthesizedStack;

beforeAll(() => {
  defaults = synthesizeStack();
  variant = synthesizeStack({
    existingSecretArn: IMPORTED_SECRET_ARN,
    useDefaultEventBus: true,
    eventSource: 'acme.errors',
    warehousePrefix: 'dd',
  });
});

/** Renders a statement resource (or list) as flattened strings. */
const resourcesOf = (statement: PolicyStatementJson): string[] =>
  (Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource]).map(flattenJoin);

describe('exporter IAM permissions', () => {
  const exporterRoles = (synthesized: SynthesizedStack) => [
    logicalId(synthesized.stack.exportFunction.role),
    logicalId(synthesized.stack.backfillDayFunction.role),
  ];

  it('touches S3 objects only under the warehouse prefix', () => {
    for (const synthesized of [defaults, variant]) {
      const bucket = logicalId(synthesized.stack.warehouse.bucket);
      const prefix = synthesized === defaults ? 'warehouse/' : 'dd/';
      for (const role of exporterRoles(synthesized)) {
        const s3Statements = roleStatements(synthesized.template, role).filter((statement) =>
          actionsOf(statement).some((action) => action.startsWith('s3:')),
        );
        expect(s3Statements.length).toBe(2);
        for (const statement of s3Statements) {
          const actions = actionsOf(statement);
          expect(actions.every((action) => !action.includes('*'))).toBe(true);
          if (actions.includes('s3:ListBucket')) {
            expect(actions).toEqual(['s3:ListBucket']);
            expect(resourcesOf(statement)).toEqual([`<${bucket}.Arn>`]);
          } else {
            expect(actions.sort()).toEqual([
              's3:AbortMultipartUpload',
              's3:DeleteObject',
              's3:GetObject',
              's3:PutObject',
            ]);
            expect(resourcesOf(statement)).toEqual([`<${bucket}.Arn>/${prefix}*`]);
          }
        }
      }
    }
  });

  it('publishes events only to its bus', () => {
    const bus = logicalId(defaults.stack.events.eventBus);
    for (const role of exporterRoles(defaults)) {
      const statements = roleStatements(defaults.template, role).filter((statement) =>
        actionsOf(statement).some((action) => action.startsWith('events:')),
      );
      expect(statements.map((statement) => [actionsOf(statement), resourcesOf(statement)])).toEqual([
        [['events:PutEvents'], [`<${bus}.Arn>`]],
      ]);
    }
  });

  it('publishes to the default bus ARN when using the default bus', () => {
    const statements = roleStatements(variant.template, logicalId(variant.stack.exportFunction.role)).filter(
      (statement) => actionsOf(statement).includes('events:PutEvents'),
    );
    expect(statements.flatMap(resourcesOf)).toEqual([
      'arn:<AWS::Partition>:events:eu-west-1:123456789012:event-bus/default',
    ]);
    variant.template.resourceCountIs('AWS::Events::EventBus', 0);
  });

  it('reads only its secret', () => {
    const secret = logicalId(defaults.stack.secret.secret);
    for (const role of exporterRoles(defaults)) {
      const statements = roleStatements(defaults.template, role).filter((statement) =>
        actionsOf(statement).some((action) => action.startsWith('secretsmanager:')),
      );
      expect(statements.map((statement) => [actionsOf(statement), resourcesOf(statement)])).toEqual([
        [['secretsmanager:GetSecretValue'], [`<${secret}>`]],
      ]);
    }
  });

  it('registers partitions only in its two tables', () => {
    const statements = roleStatements(
      defaults.template,
      logicalId(defaults.stack.exportFunction.role),
    ).filter((statement) => actionsOf(statement).some((action) => action.startsWith('glue:')));
    expect(statements).toHaveLength(1);
    const [statement] = statements as [PolicyStatementJson];
    expect(actionsOf(statement).sort()).toEqual([
      'glue:BatchCreatePartition',
      'glue:GetPartition',
      'glue:GetPartitions',
      'glue:GetTable',
    ]);
    const glueArn = 'arn:<AWS::Partition>:glue:eu-west-1:123456789012';
    expect(resourcesOf(statement)).toEqual([
      `${glueArn}:catalog`,
      `${glueArn}:database/error_tracking`,
      `${glueArn}:table/error_tracking/issues`,
      `${glueArn}:table/error_tracking/issue_state_changes`,
    ]);
  });

  it('grants no wildcard resource or action to any function role', () => {
    const functionRoles = [...exporterRoles(defaults), logicalId(defaults.stack.backfillPlanFunction.role)];
    for (const role of functionRoles) {
      const statements = roleStatements(defaults.template, role);
      expect(statements.length).toBeGreaterThan(0);
      for (const statement of statements) {
        expect(resourcesOf(statement)).not.toContain('*');
        expect(actionsOf(statement).filter((action) => action.endsWith('*'))).toEqual([]);
      }
    }
  });

  it('gives the plan function nothing but its own logs', () => {
    const statements = roleStatements(defaults.template, logicalId(defaults.stack.backfillPlanFunction.role));
    expect(statements.map((statement) => [actionsOf(statement), resourcesOf(statement)])).toEqual([
      [
        ['logs:CreateLogStream', 'logs:PutLogEvents'],
        [`<${logicalId(defaults.stack.backfillPlanFunction.logGroup)}.Arn>`],
      ],
    ]);
  });

  it('uses no AWS managed policies', () => {
    const roles = Object.values(defaults.template.findResources('AWS::IAM::Role')) as Array<{
      Properties: { ManagedPolicyArns?: unknown[] };
    }>;
    expect(roles.length).toBeGreaterThan(0);
    for (const role of roles) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });
});

describe('Datadog secret', () => {
  it('creates a JSON secret with empty key fields by default', () => {
    const properties = resourceProperties(defaults.template, logicalId(defaults.stack.secret.secret));
    expect(JSON.parse(properties.SecretString as string)).toEqual({ DD_API_KEY: '', DD_APP_KEY: '' });
    expect(properties.GenerateSecretString).toBeUndefined();
  });

  it('uses an existing secret by ARN without creating one', () => {
    variant.template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    const variables = (
      resourceProperties(variant.template, logicalId(variant.stack.exportFunction.function)).Environment as {
        Variables: Record<string, unknown>;
      }
    ).Variables;
    expect(variables.DD_SECRET_ARN).toBe(IMPORTED_SECRET_ARN);
    const statements = roleStatements(variant.template, logicalId(variant.stack.exportFunction.role)).filter(
      (statement) => actionsOf(statement).includes('secretsmanager:GetSecretValue'),
    );
    expect(statements.flatMap(resourcesOf)).toEqual([IMPORTED_SECRET_ARN]);
  });
});

describe('events', () => {
  it('creates a dedicated bus', () => {
    defaults.template.hasResourceProperties('AWS::Events::EventBus', { Name: 'error-tracking-export' });
  });

  it('routes regressions from our source to the encrypted regression topic', () => {
    const topic = logicalId(defaults.stack.events.regressionTopic);
    defaults.template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: logicalId(defaults.stack.events.eventBus) },
      EventPattern: { source: ['error-tracking-export'], 'detail-type': ['Issue Regressed'] },
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { Ref: topic } })],
    });
    variant.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['acme.errors'], 'detail-type': ['Issue Regressed'] },
    });
    const variables = (
      resourceProperties(variant.template, logicalId(variant.stack.exportFunction.function)).Environment as {
        Variables: Record<string, unknown>;
      }
    ).Variables;
    expect(variables.EVENT_SOURCE).toBe('acme.errors');
    expect(flattenJoin(variables.EVENTS_TARGET)).toBe(
      'eventbridge:arn:<AWS::Partition>:events:eu-west-1:123456789012:event-bus/default',
    );
  });

  it('encrypts both topics with a rotating customer managed key and refuses plain HTTP', () => {
    const topics = defaults.template.findResources('AWS::SNS::Topic') as Record<
      string,
      { Properties: { KmsMasterKeyId?: unknown } }
    >;
    expect(Object.keys(topics)).toHaveLength(2);
    const keys = defaults.template.findResources('AWS::KMS::Key') as Record<
      string,
      { Properties: Record<string, unknown> }
    >;
    const [keyId] = Object.keys(keys) as [string];
    expect(keys[keyId]?.Properties.EnableKeyRotation).toBe(true);
    for (const [topicId, topic] of Object.entries(topics)) {
      expect(topic.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
      defaults.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [{ Ref: topicId }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });

  it('lets EventBridge and CloudWatch use the topic key', () => {
    const keys = defaults.template.findResources('AWS::KMS::Key') as Record<
      string,
      {
        Properties: {
          KeyPolicy: { Statement: Array<{ Principal?: { Service?: string }; Action: string | string[] }> };
        };
      }
    >;
    const statements = Object.values(keys)[0]?.Properties.KeyPolicy.Statement ?? [];
    const servicesWithGenerateDataKey = statements
      .filter((statement) => [statement.Action].flat().includes('kms:GenerateDataKey*'))
      .map((statement) => statement.Principal?.Service);
    expect(servicesWithGenerateDataKey).toEqual(
      expect.arrayContaining(['events.amazonaws.com', 'cloudwatch.amazonaws.com']),
    );
  });
});
