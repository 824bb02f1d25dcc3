/** Where the warehouse lives, from a `--out` flag or an environment variable: a folder or `s3://bucket/prefix`. */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { S3Client } from '@aws-sdk/client-s3';
import { ConfigError } from '../errors';
import { createLocalSink } from './local-sink';
import { createS3Sink } from './s3-sink';
import type { ObjectSink } from './sink';

export type WarehouseLocation =
  | { readonly kind: 'local'; readonly path: string }
  | { readonly kind: 's3'; readonly bucket: string; readonly prefix: string };

/** S3's bucket naming rules (general purpose buckets): 3-63 lowercase letters, digits, dots and hyphens. */
const BUCKET_NAME_PATTERN = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

const URL_SCHEME_PATTERN = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;

/**
 * `s3://bucket`, `s3://bucket/some/prefix/` (prefix stored without surrounding slashes), `file:///abs/dir`
 * or a plain path (resolved against the working directory).
 */
export function parseWarehouseLocation(text: string): WarehouseLocation {
  const trimmed = text.trim();
  if (trimmed === '') {
    throw new ConfigError('The warehouse location is empty: pass a folder or s3://bucket/prefix.');
  }
  const scheme = URL_SCHEME_PATTERN.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === undefined) return { kind: 'local', path: resolve(trimmed) };
  if (scheme === 'file') {
    try {
      return { kind: 'local', path: fileURLToPath(trimmed) };
    } catch {
      throw new ConfigError(
        `Invalid warehouse location "${trimmed}": use file:///absolute/path or a plain path.`,
      );
    }
  }
  if (scheme !== 's3') {
    throw new ConfigError(
      `Unsupported warehouse location "${trimmed}": use a local folder or s3://bucket/prefix (scheme ${scheme}:// is not supported).`,
    );
  }
  const rest = trimmed.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const prefix = (slash === -1 ? '' : rest.slice(slash + 1)).replace(/^\/+|\/+$/g, '');
  if (!BUCKET_NAME_PATTERN.test(bucket) || bucket.includes('..')) {
    throw new ConfigError(
      `Invalid S3 warehouse location "${trimmed}": expected s3://bucket/optional/prefix with a valid bucket name (3-63 lowercase letters, digits, dots or hyphens).`,
    );
  }
  if (prefix.split('/').some((part) => part === '' || part === '.' || part === '..') && prefix !== '') {
    throw new ConfigError(
      `Invalid S3 warehouse location "${trimmed}": the prefix must not contain empty, "." or ".." parts.`,
    );
  }
  return { kind: 's3', bucket, prefix };
}

/** Display form: the folder path, or `s3://bucket/prefix`. */
export function formatWarehouseLocation(location: WarehouseLocation): string {
  return location.kind === 'local'
    ? location.path
    : `s3://${location.bucket}${location.prefix === '' ? '' : `/${location.prefix}`}`;
}

export interface CreateSinkDependencies {
  /** Used for S3 locations; a client with the default credential chain and region is created otherwise. */
  s3Client?: S3Client;
}

export function createSink(
  location: WarehouseLocation,
  dependencies: CreateSinkDependencies = {},
): ObjectSink {
  if (location.kind === 'local') return createLocalSink(location.path);
  return createS3Sink({
    client: dependencies.s3Client ?? new S3Client({}),
    bucket: location.bucket,
    prefix: location.prefix,
  });
}
