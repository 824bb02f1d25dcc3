import { type CfnElement, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * How cdk-nag spells a `Fn::GetAtt <resource>.Arn` in a finding id, for example `<WarehouseBucket56A35794.Arn>`.
 * Acknowledgements name the exact resource so that a new wildcard elsewhere still fails the check.
 */
export function nagArnReference(construct: IConstruct): string {
  const resource = construct.node.defaultChild as CfnElement | undefined;
  if (resource === undefined) {
    throw new Error(`${construct.node.path} has no CloudFormation resource to reference.`);
  }
  return `<${Stack.of(construct).getLogicalId(resource)}.Arn>`;
}
