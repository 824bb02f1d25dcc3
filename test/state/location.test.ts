import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/errors';
import { parseStateLocation } from '../../lib/state/location';

describe('parseStateLocation', () => {
  it('reads a folder as an absolute local path', () => {
    expect(parseStateLocation('./state')).toEqual({ kind: 'local', directory: path.resolve('state') });
  });

  it('reads s3://bucket/prefix and trims slashes', () => {
    expect(parseStateLocation('s3://my-bucket/exports/prod/')).toEqual({
      kind: 's3',
      bucket: 'my-bucket',
      prefix: 'exports/prod',
    });
    expect(parseStateLocation('s3://my-bucket')).toEqual({ kind: 's3', bucket: 'my-bucket', prefix: '' });
  });

  it.each(['', 's3://', 's3:///prefix', 'gs://bucket/x'])('rejects %j with a ConfigError', (value) => {
    expect(() => parseStateLocation(value)).toThrow(ConfigError);
  });
});
