import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { CfnWorkGroup } from 'aws-cdk-lib/aws-athena';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type IBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ISSUE_COLUMNS, STATE_CHANGE_COLUMNS } from '../lib/warehouse/schema';
import { type GlueColumn, glueColumns } from './glue-columns';
import type { WarehouseBucket } from './warehouse-bucket';

export const PARQUET_SERDE = 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe';
export const PARQUET_INPUT_FORMAT = 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat';
export const PARQUET_OUTPUT_FORMAT = 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat';

/** Partition keys of the `issues` table, outermost first, matching `issues/service=…/dt=…/`. */
export const ISSUES_PARTITION_KEYS: readonly GlueColumn[] = [
  {
    name: 'service',
    type: 'string',
    comment: 'Service name, unescaped (the S3 folder holds the escaped form).',
  },
  { name: 'dt', type: 'string', comment: 'UTC date of the bucket start, YYYY-MM-DD.' },
];
/** Partition keys of the `issue_state_changes` table, matching `issue_state_changes/dt=…/`. */
export const STATE_CHANGES_PARTITION_KEYS: readonly GlueColumn[] = [
  { name: 'dt', type: 'string', comment: 'UTC date of observed_at, YYYY-MM-DD.' },
];

export interface CatalogProps {
  readonly warehouse: WarehouseBucket;
  /**
   * Glue database name (lowercase letters, digits and underscores).
   * @default 'error_tracking'
   */
  readonly databaseName?: string;
  /**
   * Glue table of issue rows.
   * @default 'issues'
   */
  readonly issuesTableName?: string;
  /**
   * Glue table of state changes.
   * @default 'issue_state_changes'
   */
  readonly stateChangesTableName?: string;
  /**
   * Athena workgroup name.
   * @default 'error-tracking-export'
   */
  readonly workGroupName?: string;
  /**
   * Days after which Athena query results expire.
   * @default 30
   */
  readonly queryResultExpirationDays?: number;
}

/**
 * The Glue tables over the warehouse and an Athena workgroup to query them. Partitions are not crawled:
 * the exporter registers each partition it writes, so queries see new data as soon as a run finishes.
 */
export class Catalog extends Construct {
  readonly databaseName: string;
  readonly issuesTableName: string;
  readonly stateChangesTableName: string;
  readonly workGroupName: string;
  readonly queryResultsBucket: IBucket;

  constructor(scope: Construct, id: string, props: CatalogProps) {
    super(scope, id);
    this.databaseName = props.databaseName ?? 'error_tracking';
    this.issuesTableName = props.issuesTableName ?? 'issues';
    this.stateChangesTableName = props.stateChangesTableName ?? 'issue_state_changes';
    this.workGroupName = props.workGroupName ?? 'error-tracking-export';
    const { warehouse } = props;
    const catalogId = Stack.of(this).account;

    const database = new CfnDatabase(this, 'Database', {
      catalogId,
      databaseInput: {
        name: this.databaseName,
        description: 'Datadog Error Tracking issues exported by error-tracking-export',
      },
    });

    const issuesTable = this.parquetTable('IssuesTable', {
      catalogId,
      name: this.issuesTableName,
      description: 'One row per issue per time bucket (per track when tracks are searched separately).',
      // `service` is both a data column in the Parquet files and a partition key; Glue allows only one.
      columns: glueColumns(ISSUE_COLUMNS, ['service']),
      partitionKeys: ISSUES_PARTITION_KEYS,
      location: warehouse.folderUrl('issues'),
    });
    const stateChangesTable = this.parquetTable('StateChangesTable', {
      catalogId,
      name: this.stateChangesTableName,
      description: 'One row per detected issue state change.',
      columns: glueColumns(STATE_CHANGE_COLUMNS),
      partitionKeys: STATE_CHANGES_PARTITION_KEYS,
      location: warehouse.folderUrl('issue_state_changes'),
    });
    issuesTable.addResourceDependency(database);
    stateChangesTable.addResourceDependency(database);

    const queryResultsBucket = new Bucket(this, 'QueryResults', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: warehouse.accessLogsBucket,
      serverAccessLogsPrefix: 'athena-results/',
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'expire-query-results',
          expiration: Duration.days(props.queryResultExpirationDays ?? 30),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });
    this.queryResultsBucket = queryResultsBucket;

    new CfnWorkGroup(this, 'WorkGroup', {
      name: this.workGroupName,
      description: 'Queries over the error-tracking-export warehouse',
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        // Enforced so clients cannot send results unencrypted or to another bucket.
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        resultConfiguration: {
          outputLocation: `s3://${queryResultsBucket.bucketName}/`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });
  }

  private parquetTable(
    id: string,
    table: {
      catalogId: string;
      name: string;
      description: string;
      columns: readonly GlueColumn[];
      partitionKeys: readonly GlueColumn[];
      location: string;
    },
  ): CfnTable {
    return new CfnTable(this, id, {
      catalogId: table.catalogId,
      databaseName: this.databaseName,
      tableInput: {
        name: table.name,
        description: table.description,
        tableType: 'EXTERNAL_TABLE',
        parameters: { classification: 'parquet', EXTERNAL: 'TRUE' },
        partitionKeys: [...table.partitionKeys],
        storageDescriptor: {
          columns: [...table.columns],
          location: table.location,
          inputFormat: PARQUET_INPUT_FORMAT,
          outputFormat: PARQUET_OUTPUT_FORMAT,
          serdeInfo: { serializationLibrary: PARQUET_SERDE, parameters: { 'serialization.format': '1' } },
        },
      },
    });
  }

  /** ARNs the exporter needs for registering partitions: the catalog, the database and its two tables. */
  get partitionWriterResourceArns(): string[] {
    const stack = Stack.of(this);
    const glueArn = (resource: string, resourceName?: string) =>
      stack.formatArn({ service: 'glue', resource, resourceName });
    return [
      glueArn('catalog'),
      glueArn('database', this.databaseName),
      glueArn('table', `${this.databaseName}/${this.issuesTableName}`),
      glueArn('table', `${this.databaseName}/${this.stateChangesTableName}`),
    ];
  }
}
