/**
 * Fakes at the AWS SDK boundary (Glue, Secrets Manager), a fake Lambda context, captured process output,
 * and a download of an S3 warehouse into a folder DuckDB can read.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  BatchCreatePartitionCommand,
  type BatchCreatePartitionCommandOutput,
  GetTableCommand,
  type GetTableCommandOutput,
} from '@aws-sdk/client-glue';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { vi } from 'vitest';
import type { GlueSendClient } from '../../lib/lambda/partitions';
import type { SecretsManagerSendClient } from '../../lib/lambda/secrets';

export const STORAGE_DESCRIPTOR = {
  Columns: [{ Name: 'issue_id', Type: 'string' }],
  Location: 's3://warehouse-bucket/warehouse/issues/',
  InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
  OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
  SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
};

export interface CreatedPartition {
  readonly table: string;
  readonly values: string[];
  readonly location: string | undefined;
}

/** A Glue catalog in memory: GetTable answers every table, BatchCreatePartition reports duplicates. */
export function fakeGlue(options: { failValues?: (values: string[]) => boolean } = {}) {
  const commands: Array<GetTableCommand | BatchCreatePartitionCommand> = [];
  const partitions = new Map<string, CreatedPartition>();
  const client = {
    async send(command: unknown) {
      if (command instanceof GetTableCommand) {
        commands.push(command);
        return {
          Table: { Name: command.input.Name, StorageDescriptor: STORAGE_DESCRIPTOR },
          $metadata: {},
        } satisfies GetTableCommandOutput;
      }
      if (command instanceof BatchCreatePartitionCommand) {
        commands.push(command);
        const errors: NonNullable<BatchCreatePartitionCommandOutput['Errors']> = [];
        for (const input of command.input.PartitionInputList ?? []) {
          const values = input.Values ?? [];
          const key = JSON.stringify([command.input.TableName, ...values]);
          if (options.failValues?.(values)) {
            errors.push({
              PartitionValues: values,
              ErrorDetail: { ErrorCode: 'InternalServiceException', ErrorMessage: 'try again' },
            });
          } else if (partitions.has(key)) {
            errors.push({
              PartitionValues: values,
              ErrorDetail: { ErrorCode: 'AlreadyExistsException', ErrorMessage: 'Partition already exists.' },
            });
          } else {
            partitions.set(key, {
              table: command.input.TableName!,
              values,
              location: input.StorageDescriptor?.Location,
            });
          }
        }
        return { Errors: errors, $metadata: {} } satisfies BatchCreatePartitionCommandOutput;
      }
      throw new Error(`Unexpected Glue command ${(command as object).constructor.name}`);
    },
  };
  return {
    client: client as unknown as GlueSendClient,
    commands,
    partitions,
    batches: () => commands.filter((command) => command instanceof BatchCreatePartitionCommand),
  };
}

/** Secrets Manager with one secret; `value` can be replaced to simulate rotation. */
export function fakeSecrets(initial: string | undefined) {
  const state = { value: initial, requests: [] as string[] };
  const client = {
    async send(command: unknown) {
      if (!(command instanceof GetSecretValueCommand)) throw new Error('Unexpected Secrets Manager command');
      state.requests.push(command.input.SecretId ?? '');
      return { SecretString: state.value, $metadata: {} };
    },
  };
  return { client: client as unknown as SecretsManagerSendClient, state };
}

export function fakeContext(remainingTimeMs: number): Context {
  return {
    functionName: 'error-tracking-export',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:error-tracking-export',
    memoryLimitInMB: '1024',
    awsRequestId: 'request-1',
    logGroupName: '/aws/lambda/error-tracking-export',
    logStreamName: 'stream',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => remainingTimeMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Everything written to stdout and stderr until `restore`; Powertools writes logs and EMF there. */
export function captureOutput() {
  const chunks: string[] = [];
  const capture = (chunk: unknown) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  return {
    text: () => chunks.join(''),
    /** Every line that parses as a JSON object. */
    records: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    restore() {
      stdout.mockRestore();
      stderr.mockRestore();
    },
  };
}

/** Copies every object under `prefix/` into `directory`, keeping the key below the prefix as the path. */
export async function downloadPrefix(client: S3Client, bucket: string, prefix: string, directory: string) {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/`, ContinuationToken: token }),
    );
    keys.push(...(page.Contents ?? []).map((object) => object.Key!));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  for (const key of keys) {
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const target = join(directory, key.slice(prefix.length + 1));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, await object.Body!.transformToByteArray());
  }
  return keys;
}
