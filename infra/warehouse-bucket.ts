import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type IBucket,
  ObjectLockRetention,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export type ObjectLockMode = 'GOVERNANCE' | 'COMPLIANCE';

export interface WarehouseBucketProps {
  /**
   * Key prefix of the warehouse inside the bucket, ending with `/` (or empty for the bucket root).
   * @default 'warehouse/'
   */
  readonly prefix?: string;
  /**
   * Default Object Lock retention in days for every new object version. Object Lock can only be turned on
   * when the bucket is created.
   * @default - Object Lock off
   */
  readonly objectLockDays?: number;
  /**
   * Object Lock mode. GOVERNANCE lets privileged users remove locks; COMPLIANCE cannot be undone by anyone,
   * including the root user, until the retention ends.
   * @default 'GOVERNANCE'
   */
  readonly objectLockMode?: ObjectLockMode;
  /**
   * Days after which run manifests under `<prefix>_runs/` expire.
   * @default 90
   */
  readonly runManifestExpirationDays?: number;
  /**
   * Days after which replaced (noncurrent) object versions expire.
   * @default 30
   */
  readonly noncurrentVersionExpirationDays?: number;
  /**
   * What happens to the buckets when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Normalizes a warehouse prefix to `''` or `something/`. */
export function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? '' : `${trimmed}/`;
}

/**
 * The warehouse bucket plus the bucket that receives its server access logs.
 *
 * Encryption is SSE-S3 rather than SSE-KMS: the data is what Datadog already shows every engineer, SSE-S3
 * costs nothing per request (the exporter lists and reads state often), and Athena, Glue and external
 * readers such as BigQuery Omni need no key grants to read it.
 */
export class WarehouseBucket extends Construct {
  readonly bucket: IBucket;
  readonly accessLogsBucket: IBucket;
  /** `''` or a prefix ending with `/`. */
  readonly prefix: string;

  constructor(scope: Construct, id: string, props: WarehouseBucketProps = {}) {
    super(scope, id);
    this.prefix = normalizePrefix(props.prefix ?? 'warehouse/');
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    const accessLogsBucket = new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365) }],
    });
    Validations.of(accessLogsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket is the server access log destination; logging it into itself would loop.',
    });

    const objectLockDays = props.objectLockDays;
    const objectLockMode = props.objectLockMode ?? 'GOVERNANCE';
    const objectLockRetention =
      objectLockDays === undefined
        ? undefined
        : objectLockMode === 'COMPLIANCE'
          ? ObjectLockRetention.compliance(Duration.days(objectLockDays))
          : ObjectLockRetention.governance(Duration.days(objectLockDays));

    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: accessLogsBucket,
      serverAccessLogsPrefix: 'warehouse-bucket/',
      objectLockEnabled: objectLockRetention !== undefined ? true : undefined,
      objectLockDefaultRetention: objectLockRetention,
      removalPolicy,
      lifecycleRules: [
        {
          id: 'expire-run-manifests',
          prefix: `${this.prefix}_runs/`,
          expiration: Duration.days(props.runManifestExpirationDays ?? 90),
        },
        {
          id: 'expire-noncurrent-versions',
          // Re-runs overwrite Parquet files in place; old versions are only for recovering from a bad run.
          noncurrentVersionExpiration: Duration.days(props.noncurrentVersionExpirationDays ?? 30),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
          expiredObjectDeleteMarker: true,
        },
      ],
    });
    this.accessLogsBucket = accessLogsBucket;
  }

  /** `s3://bucket/prefix` without a trailing slash (just `s3://bucket` for an empty prefix). */
  get warehouseUrl(): string {
    const path = this.prefix.replace(/\/$/, '');
    return path === '' ? `s3://${this.bucket.bucketName}` : `s3://${this.bucket.bucketName}/${path}`;
  }

  /** The S3 URL of a folder under the warehouse prefix, ending with `/`. */
  folderUrl(folder: string): string {
    return `s3://${this.bucket.bucketName}/${this.prefix}${folder}/`;
  }
}
