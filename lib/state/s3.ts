/**
 * State in one S3 object, committed with S3 conditional writes: `If-None-Match: *` creates it only if no
 * other run did, `If-Match: <ETag>` replaces it only if it is still the version this run loaded. S3 answers
 * 412 PreconditionFailed (or 409 ConditionalRequestConflict while another conditional write is in flight)
 * when the condition fails, and writes nothing.
 */

import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { decodeStateDocument, encodeStateDocument } from './codec';
import {
  createEmptyStateDocument,
  StateConflictError,
  type StateDocument,
  type StateStore,
} from './document';

export const STATE_OBJECT_NAME = 'state.json.gz';

/** Only `send` is used, so tests can pass a fake that enforces conditional writes. */
export type StateS3Client = Pick<S3Client, 'send'>;

export interface S3StateStoreOptions {
  client: StateS3Client;
  bucket: string;
  /** Key prefix without leading or trailing `/`; empty for the bucket root. */
  prefix: string;
}

interface AwsErrorShape {
  name?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

const isConditionFailure = (error: unknown): boolean => {
  const shape = (error ?? {}) as AwsErrorShape;
  const status = shape.$metadata?.httpStatusCode;
  const name = shape.name ?? shape.Code;
  return (
    status === 412 || status === 409 || name === 'PreconditionFailed' || name === 'ConditionalRequestConflict'
  );
};

const isMissingObject = (error: unknown): boolean => {
  const shape = (error ?? {}) as AwsErrorShape;
  return shape.name === 'NoSuchKey' || shape.$metadata?.httpStatusCode === 404;
};

export function stateObjectKey(prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? STATE_OBJECT_NAME : `${trimmed}/${STATE_OBJECT_NAME}`;
}

export function createS3StateStore({ client, bucket, prefix }: S3StateStoreOptions): StateStore {
  const key = stateObjectKey(prefix);
  const location = `s3://${bucket}/${key}`;

  return {
    location,

    async load() {
      try {
        const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        if (!response.Body || !response.ETag)
          throw new Error(`GetObject ${location} returned no body or ETag`);
        const bytes = await response.Body.transformToByteArray();
        return { document: await decodeStateDocument(bytes, location), revision: response.ETag };
      } catch (error) {
        if (isMissingObject(error)) return { document: createEmptyStateDocument(), revision: null };
        throw error;
      }
    },

    async commit(document: StateDocument, revision: string | null) {
      const body = await encodeStateDocument(document);
      const condition = revision === null ? { IfNoneMatch: '*' } : { IfMatch: revision };
      try {
        const response = await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: body,
            ContentType: 'application/gzip',
            ...condition,
          }),
        );
        if (!response.ETag) throw new Error(`PutObject ${location} returned no ETag`);
        return response.ETag;
      } catch (error) {
        if (isConditionFailure(error)) throw new StateConflictError(location);
        throw error;
      }
    },
  };
}
