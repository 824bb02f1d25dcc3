import { Validations } from 'aws-cdk-lib';
import { type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { nagArnReference } from './nag';

export interface ExporterResources {
  readonly bucket: IBucket;
  /** `''` or a prefix ending with `/`. */
  readonly prefix: string;
  readonly secretArn: string;
  readonly eventBusArn: string;
  /** Catalog, database and table ARNs (see `Catalog.partitionWriterResourceArns`). */
  readonly glueResourceArns: readonly string[];
}

/** The IAM statements an exporter function needs, and nothing broader. */
export function exporterPolicyStatements(resources: ExporterResources): PolicyStatement[] {
  return [
    new PolicyStatement({
      sid: 'WarehouseObjects',
      // PutObject also covers the multipart upload calls, except aborting one. DeleteObject removes a
      // re-exported bucket's stale files (under versioning it only adds a delete marker).
      actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
      resources: [resources.bucket.arnForObjects(`${resources.prefix}*`)],
    }),
    new PolicyStatement({
      sid: 'WarehouseListing',
      // Without ListBucket, S3 answers 403 instead of 404 for a missing key, and the exporter must tell
      // "no state yet" from "access denied". The bucket holds only the warehouse, so this reveals nothing
      // beyond the prefix the function already owns.
      actions: ['s3:ListBucket'],
      resources: [resources.bucket.bucketArn],
    }),
    new PolicyStatement({
      sid: 'DatadogKeys',
      actions: ['secretsmanager:GetSecretValue'],
      resources: [resources.secretArn],
    }),
    new PolicyStatement({
      sid: 'PublishStateChanges',
      actions: ['events:PutEvents'],
      resources: [resources.eventBusArn],
    }),
    new PolicyStatement({
      sid: 'RegisterPartitions',
      actions: ['glue:GetTable', 'glue:GetPartition', 'glue:GetPartitions', 'glue:BatchCreatePartition'],
      resources: [...resources.glueResourceArns],
    }),
  ];
}

/** Adds the exporter statements to a function's role. */
export function grantExporterAccess(role: IRole, resources: ExporterResources): void {
  for (const statement of exporterPolicyStatements(resources)) {
    role.addToPrincipalPolicy(statement);
  }
  Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${nagArnReference(resources.bucket)}/${resources.prefix}*]`,
    reason:
      'Object keys are created at run time; the wildcard covers only the warehouse prefix, never the bucket.',
  });
}
