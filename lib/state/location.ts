import path from 'node:path';
import { ConfigError } from '../errors';
import type { StateStore } from './document';
import { createLocalStateStore } from './local';
import { createS3StateStore, type StateS3Client } from './s3';

export type StateLocation =
  | { kind: 'local'; directory: string }
  | { kind: 's3'; bucket: string; prefix: string };

/** Accepts a folder path or `s3://bucket[/prefix]`. */
export function parseStateLocation(value: string): StateLocation {
  const trimmed = value.trim();
  if (trimmed === '') throw new ConfigError('State location is empty: pass a folder or s3://bucket/prefix.');
  if (/^s3:\/\//i.test(trimmed)) {
    const rest = trimmed.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash === -1 ? rest : rest.slice(0, slash);
    const prefix = slash === -1 ? '' : rest.slice(slash + 1).replace(/^\/+|\/+$/g, '');
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
      throw new ConfigError(`State location ${trimmed} has no valid bucket name: use s3://bucket/prefix.`);
    }
    return { kind: 's3', bucket, prefix };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
    throw new ConfigError(`State location ${trimmed} is not supported: use a folder or s3://bucket/prefix.`);
  }
  return { kind: 'local', directory: path.resolve(trimmed) };
}

export function createStateStore(
  location: StateLocation,
  dependencies: { s3Client?: StateS3Client },
): StateStore {
  if (location.kind === 'local') return createLocalStateStore(location.directory);
  if (!dependencies.s3Client) throw new Error('An S3 client is required for an s3:// state location');
  return createS3StateStore({
    client: dependencies.s3Client,
    bucket: location.bucket,
    prefix: location.prefix,
  });
}
