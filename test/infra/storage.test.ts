import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { PARQUET_INPUT_FORMAT, PARQUET_OUTPUT_FORMAT, PARQUET_SERDE } from '../../infra/catalog';
import { normalizePrefix } from '../../infra/warehouse-bucket';
import { flattenJoin, logicalId, resourceProperties, type SynthesizedStack, synthesizeStack } from './synth';

let defaults: SynthesizedStack;
let locked: SynthesizedStack;

beforeAll(() => {
  defaults = synthesizeStack();
  locked = synthesizeStack({
    objectLockDays: 400,
    objectLockMode: 'COMPLIANCE',
    warehousePrefix: '/exports/dd/',
  });
});

describe('warehouse bucket', () => {
  const warehouseProperties = (synthesized: SynthesizedStack) =>
    resourceProperties(synthesized.template, logicalId(synthesized.stack.warehouse.bucket));

  it('encrypts with S3-managed keys, blocks public access and keeps versions', () => {
    const properties = warehouseProperties(defaults);
    expect(properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    expect(properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(properties.ObjectLockEnabled).toBeUndefined();
    expect(properties.ObjectLockConfiguration).toBeUndefined();
  });

  it('logs server access to the access-log bucket', () => {
    const properties = warehouseProperties(defaults);
    expect(properties.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: logicalId(defaults.stack.warehouse.accessLogsBucket) },
      LogFilePrefix: 'warehouse-bucket/',
    });
  });

  it('denies requests that do not use TLS', () => {
    defaults.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalId(defaults.stack.warehouse.bucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('expires run manifests under the prefix and old versions', () => {
    const rules = (warehouseProperties(defaults).LifecycleConfiguration as { Rules: unknown[] }).Rules;
    expect(rules).toEqual([
      { Id: 'expire-run-manifests', Prefix: 'warehouse/_runs/', ExpirationInDays: 90, Status: 'Enabled' },
      {
        Id: 'expire-noncurrent-versions',
        NoncurrentVersionExpiration: { NoncurrentDays: 30 },
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
        ExpiredObjectDeleteMarker: true,
        Status: 'Enabled',
      },
    ]);
  });

  it('turns on Object Lock with a default retention when asked', () => {
    const properties = warehouseProperties(locked);
    expect(properties.ObjectLockEnabled).toBe(true);
    expect(properties.ObjectLockConfiguration).toEqual({
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 400 } },
    });
  });

  it('normalizes the prefix', () => {
    expect(normalizePrefix('/exports/dd/')).toBe('exports/dd/');
    expect(normalizePrefix('exports')).toBe('exports/');
    expect(normalizePrefix('')).toBe('');
    expect(normalizePrefix('/')).toBe('');
    const rules = (
      warehouseProperties(locked).LifecycleConfiguration as { Rules: Array<{ Prefix?: string }> }
    ).Rules;
    expect(rules[0]?.Prefix).toBe('exports/dd/_runs/');
  });

  it('keeps access logs encrypted, private and TLS-only too', () => {
    const properties = resourceProperties(
      defaults.template,
      logicalId(defaults.stack.warehouse.accessLogsBucket),
    );
    expect(properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    expect(properties.PublicAccessBlockConfiguration).toMatchObject({ BlockPublicPolicy: true });
  });
});

describe('Glue catalog', () => {
  interface TableInput {
    Name: string;
    TableType: string;
    PartitionKeys: Array<{ Name: string; Type: string }>;
    StorageDescriptor: {
      Columns: Array<{ Name: string; Type: string }>;
      Location: unknown;
      InputFormat: string;
      OutputFormat: string;
      SerdeInfo: { SerializationLibrary: string };
    };
  }
  const tableInput = (synthesized: SynthesizedStack, name: string): TableInput => {
    const tables = synthesized.template.findResources('AWS::Glue::Table');
    const match = Object.values(tables)
      .map((table) => (table as { Properties: { TableInput: TableInput } }).Properties.TableInput)
      .find((input) => input.Name === name);
    if (match === undefined) {
      throw new Error(`No Glue table ${name}`);
    }
    return match;
  };

  it('creates the database', () => {
    defaults.template.hasResourceProperties('AWS::Glue::Database', {
      CatalogId: '123456789012',
      DatabaseInput: Match.objectLike({ Name: 'error_tracking' }),
    });
  });

  it('partitions issues by service and dt, and keeps service out of the data columns', () => {
    const issues = tableInput(defaults, 'issues');
    expect(issues.TableType).toBe('EXTERNAL_TABLE');
    expect(issues.PartitionKeys.map((key) => [key.Name, key.Type])).toEqual([
      ['service', 'string'],
      ['dt', 'string'],
    ]);
    const columnNames = issues.StorageDescriptor.Columns.map((column) => column.Name);
    expect(columnNames).not.toContain('service');
    expect(columnNames).toContain('issue_id');
    expect(columnNames).toContain('run_id');
  });

  it('partitions state changes by dt only', () => {
    const stateChanges = tableInput(defaults, 'issue_state_changes');
    expect(stateChanges.PartitionKeys.map((key) => [key.Name, key.Type])).toEqual([['dt', 'string']]);
    expect(stateChanges.StorageDescriptor.Columns.map((column) => column.Name)).toContain('service');
  });

  it('reads Parquet with the Hive Parquet SerDe', () => {
    for (const name of ['issues', 'issue_state_changes']) {
      const descriptor = tableInput(defaults, name).StorageDescriptor;
      expect(descriptor.SerdeInfo.SerializationLibrary).toBe(PARQUET_SERDE);
      expect(descriptor.InputFormat).toBe(PARQUET_INPUT_FORMAT);
      expect(descriptor.OutputFormat).toBe(PARQUET_OUTPUT_FORMAT);
    }
    expect(PARQUET_SERDE).toBe('org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe');
    expect(PARQUET_INPUT_FORMAT).toBe('org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat');
    expect(PARQUET_OUTPUT_FORMAT).toBe('org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat');
  });

  it('locates tables under the warehouse prefix', () => {
    const bucket = logicalId(defaults.stack.warehouse.bucket);
    expect(flattenJoin(tableInput(defaults, 'issues').StorageDescriptor.Location)).toBe(
      `s3://<${bucket}>/warehouse/issues/`,
    );
    expect(flattenJoin(tableInput(defaults, 'issue_state_changes').StorageDescriptor.Location)).toBe(
      `s3://<${bucket}>/warehouse/issue_state_changes/`,
    );
    const lockedBucket = logicalId(locked.stack.warehouse.bucket);
    expect(flattenJoin(tableInput(locked, 'issues').StorageDescriptor.Location)).toBe(
      `s3://<${lockedBucket}>/exports/dd/issues/`,
    );
  });
});

describe('Athena workgroup', () => {
  it('enforces encrypted results in the results bucket', () => {
    const resultsBucket = logicalId(defaults.stack.catalog.queryResultsBucket);
    const workGroups = defaults.template.findResources('AWS::Athena::WorkGroup');
    const [workGroup] = Object.values(workGroups) as Array<{
      Properties: { Name: string; WorkGroupConfiguration: Record<string, unknown> };
    }>;
    expect(Object.keys(workGroups)).toHaveLength(1);
    expect(workGroup?.Properties.Name).toBe('error-tracking-export');
    const configuration = workGroup?.Properties.WorkGroupConfiguration as {
      EnforceWorkGroupConfiguration: boolean;
      ResultConfiguration: { OutputLocation: unknown; EncryptionConfiguration: { EncryptionOption: string } };
    };
    expect(configuration.EnforceWorkGroupConfiguration).toBe(true);
    expect(configuration.ResultConfiguration.EncryptionConfiguration).toEqual({ EncryptionOption: 'SSE_S3' });
    expect(flattenJoin(configuration.ResultConfiguration.OutputLocation)).toBe(`s3://<${resultsBucket}>/`);
  });

  it('keeps the results bucket encrypted and expires old results', () => {
    const properties = resourceProperties(
      defaults.template,
      logicalId(defaults.stack.catalog.queryResultsBucket),
    );
    expect(properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    expect((properties.LifecycleConfiguration as { Rules: unknown[] }).Rules).toEqual([
      expect.objectContaining({ ExpirationInDays: 30, Status: 'Enabled' }),
    ]);
  });
});
