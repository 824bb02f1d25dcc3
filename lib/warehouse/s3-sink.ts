/**
 * A warehouse under an S3 prefix. Small objects go up in one PutObject; large ones as a multipart upload,
 * which S3 only makes visible once complete, so readers never see a partial file either way.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { ObjectSink } from './sink';

/** Above this, bodies are sent as a multipart upload. */
export const DEFAULT_MULTIPART_THRESHOLD_BYTES = 8 * 1024 * 1024;
/** S3's minimum part size is 5 MiB; 8 MiB parts keep a 1 GiB file well under the 10,000-part limit. */
export const DEFAULT_PART_SIZE_BYTES = 8 * 1024 * 1024;

export interface S3SinkOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix without leading or trailing `/`; `''` for the bucket root. */
  prefix: string;
  multipartThresholdBytes?: number;
  partSizeBytes?: number;
  /** Parts uploaded at once; memory held is about `queueSize × partSizeBytes`. */
  queueSize?: number;
}

function isNotFound(error: unknown): boolean {
  const candidate = error as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return (
    candidate?.name === 'NoSuchKey' ||
    candidate?.name === 'NotFound' ||
    candidate?.$metadata?.httpStatusCode === 404
  );
}

export function createS3Sink(options: S3SinkOptions): ObjectSink {
  const { client, bucket } = options;
  const prefix = options.prefix.replace(/^\/+|\/+$/g, '');
  const keyPrefix = prefix === '' ? '' : `${prefix}/`;
  const multipartThreshold = options.multipartThresholdBytes ?? DEFAULT_MULTIPART_THRESHOLD_BYTES;
  const partSize = options.partSizeBytes ?? DEFAULT_PART_SIZE_BYTES;
  const queueSize = options.queueSize ?? 4;

  return {
    root: `s3://${bucket}${prefix === '' ? '' : `/${prefix}`}`,

    async put(key, body, contentType) {
      const params = {
        Bucket: bucket,
        Key: `${keyPrefix}${key}`,
        Body: body,
        ...(contentType === undefined ? {} : { ContentType: contentType }),
      };
      if (body.byteLength <= multipartThreshold) {
        await client.send(new PutObjectCommand({ ...params, ContentLength: body.byteLength }));
        return;
      }
      // On failure Upload aborts the multipart upload, so no orphaned parts keep costing storage.
      await new Upload({ client, params, partSize, queueSize, leavePartsOnError: false }).done();
    },

    async get(key) {
      try {
        const response = await client.send(
          new GetObjectCommand({ Bucket: bucket, Key: `${keyPrefix}${key}` }),
        );
        if (!response.Body) return new Uint8Array();
        return await response.Body.transformToByteArray();
      } catch (error) {
        if (isNotFound(error)) return null;
        throw error;
      }
    },

    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: `${keyPrefix}${key}` }));
    },

    async list(listPrefix) {
      const keys: string[] = [];
      let continuationToken: string | undefined;
      do {
        const page: ListObjectsV2CommandOutput = await client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: `${keyPrefix}${listPrefix}`,
            ...(continuationToken === undefined ? {} : { ContinuationToken: continuationToken }),
          }),
        );
        for (const object of page.Contents ?? []) {
          if (object.Key !== undefined) keys.push(object.Key.slice(keyPrefix.length));
        }
        continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (continuationToken !== undefined);
      // S3 orders by UTF-8 bytes; sorting here gives the same order as the local sink.
      return keys.sort();
    },
  };
}
