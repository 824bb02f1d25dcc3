import { resolve } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/errors';
import { createSink, formatWarehouseLocation, parseWarehouseLocation } from '../../lib/warehouse/location';

describe('parseWarehouseLocation', () => {
  it('parses S3 URLs, trimming slashes around the prefix', () => {
    expect(parseWarehouseLocation('s3://my-bucket')).toEqual({ kind: 's3', bucket: 'my-bucket', prefix: '' });
    expect(parseWarehouseLocation('s3://my-bucket/')).toEqual({
      kind: 's3',
      bucket: 'my-bucket',
      prefix: '',
    });
    expect(parseWarehouseLocation('s3://my.bucket-1/exports/errors/')).toEqual({
      kind: 's3',
      bucket: 'my.bucket-1',
      prefix: 'exports/errors',
    });
    expect(parseWarehouseLocation('S3://my-bucket/p')).toEqual({
      kind: 's3',
      bucket: 'my-bucket',
      prefix: 'p',
    });
  });

  it('resolves plain paths and file URLs to absolute local paths', () => {
    expect(parseWarehouseLocation('./warehouse')).toEqual({ kind: 'local', path: resolve('warehouse') });
    expect(parseWarehouseLocation('/data/wh')).toEqual({ kind: 'local', path: '/data/wh' });
    expect(parseWarehouseLocation('file:///data/wh')).toEqual({ kind: 'local', path: '/data/wh' });
  });

  it.each([
    ['s3://', /Invalid S3 warehouse location "s3:\/\/"/],
    ['s3:///prefix', /valid bucket name/],
    ['s3://UpperCase/x', /valid bucket name/],
    ['s3://ab/x', /valid bucket name/],
    ['s3://bucket_underscore', /valid bucket name/],
    ['s3://a..b/x', /valid bucket name/],
    ['s3://bucket/a//b', /prefix must not contain empty/],
    ['s3://bucket/a/../b', /prefix must not contain/],
    ['gs://bucket/x', /scheme gs:\/\/ is not supported/],
    ['https://example.com/x', /scheme https:\/\/ is not supported/],
    ['   ', /location is empty/],
  ])('rejects %j with a one-line ConfigError', (text, message) => {
    expect(() => parseWarehouseLocation(text)).toThrow(ConfigError);
    expect(() => parseWarehouseLocation(text)).toThrow(message);
  });

  it('formats locations for display', () => {
    expect(formatWarehouseLocation({ kind: 's3', bucket: 'b', prefix: '' })).toBe('s3://b');
    expect(formatWarehouseLocation({ kind: 's3', bucket: 'b', prefix: 'p/q' })).toBe('s3://b/p/q');
    expect(formatWarehouseLocation({ kind: 'local', path: '/x' })).toBe('/x');
  });
});

describe('createSink', () => {
  it('creates a local sink rooted at the path and an S3 sink rooted at the prefix', () => {
    expect(createSink({ kind: 'local', path: '/tmp/some-warehouse' }).root).toBe('/tmp/some-warehouse');
    const client = new S3Client({
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    });
    expect(createSink({ kind: 's3', bucket: 'bucket', prefix: 'exports' }, { s3Client: client }).root).toBe(
      's3://bucket/exports',
    );
    client.destroy();
  });
});
