import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Sink } from '../../lib/warehouse/s3-sink';
import { temporaryDirectory } from './fixtures';

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverConstructor;

const BUCKET = 'warehouse-test';

describe('createS3Sink against s3rver', () => {
  let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
  let server: S3rverInstance;
  let client: S3Client;
  const sentCommands: string[] = [];

  beforeAll(async () => {
    directory = await temporaryDirectory();
    server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: directory.path,
      configureBuckets: [{ name: BUCKET }],
    });
    const { port } = await server.run();
    client = new S3Client({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      // s3rver predates S3's default CRC checksums.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    client.middlewareStack.add(
      (next, context) => (args) => {
        sentCommands.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize', name: 'recordCommandNames' },
    );
  });

  afterAll(async () => {
    client?.destroy();
    await server?.close();
    await directory?.remove();
  });

  it('puts, gets, replaces and lists objects under the prefix', async () => {
    const sink = createS3Sink({ client, bucket: BUCKET, prefix: '/exports/errors/' });
    expect(sink.root).toBe(`s3://${BUCKET}/exports/errors`);
    const body = new TextEncoder().encode('first');
    await sink.put('issues/service=a%2Fb/dt=2026-01-15/f.parquet', body, 'application/vnd.apache.parquet');
    await sink.put('issues/service=a%2Fb/dt=2026-01-15/f.parquet', new TextEncoder().encode('second'));
    await sink.put('_runs/r1.json', new TextEncoder().encode('{}'), 'application/json');
    const fetched = await sink.get('issues/service=a%2Fb/dt=2026-01-15/f.parquet');
    expect(new TextDecoder().decode(fetched!)).toBe('second');
    expect(await sink.get('issues/missing.parquet')).toBeNull();
    expect(await sink.list('')).toEqual(['_runs/r1.json', 'issues/service=a%2Fb/dt=2026-01-15/f.parquet']);
    expect(await sink.list('issues/')).toEqual(['issues/service=a%2Fb/dt=2026-01-15/f.parquet']);
    expect(await sink.list('nothing/')).toEqual([]);
    const head = await client.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: 'exports/errors/_runs/r1.json' }),
    );
    expect(head.ContentType).toBe('application/json');
  });

  it('uploads bodies above the threshold as a multipart upload', async () => {
    const sink = createS3Sink({ client, bucket: BUCKET, prefix: '' });
    expect(sink.root).toBe(`s3://${BUCKET}`);
    const body = new Uint8Array(9 * 1024 * 1024 + 123);
    for (let index = 0; index < body.length; index++) body[index] = (index * 31 + (index >> 10)) & 0xff;
    sentCommands.length = 0;
    await sink.put('big/object.parquet', body);
    expect(sentCommands).toContain('CreateMultipartUploadCommand');
    expect(sentCommands.filter((name) => name === 'UploadPartCommand')).toHaveLength(2);
    expect(sentCommands).toContain('CompleteMultipartUploadCommand');
    expect(sentCommands).not.toContain('PutObjectCommand');
    const fetched = await sink.get('big/object.parquet');
    expect(fetched?.byteLength).toBe(body.byteLength);
    expect(Buffer.from(fetched!).equals(Buffer.from(body))).toBe(true);

    sentCommands.length = 0;
    await sink.put('small/object.parquet', body.subarray(0, 1024));
    expect(sentCommands).toEqual(['PutObjectCommand']);
  });
});

// s3rver encrypts continuation tokens with DES, which Node 20's OpenSSL 3 no longer offers, so paging is
// checked against a scripted client instead.
describe('createS3Sink listing', () => {
  it('follows continuation tokens until the listing is complete', async () => {
    const requests: Record<string, unknown>[] = [];
    const pages = [
      { Contents: [{ Key: 'p/b' }, { Key: 'p/a' }], IsTruncated: true, NextContinuationToken: 'token-1' },
      { Contents: [{ Key: 'p/c' }], IsTruncated: true, NextContinuationToken: 'token-2' },
      { Contents: [], IsTruncated: false },
    ];
    const client = {
      send: async (command: unknown) => {
        expect(command).toBeInstanceOf(ListObjectsV2Command);
        requests.push({ ...(command as ListObjectsV2Command).input });
        return pages[requests.length - 1];
      },
    } as unknown as S3Client;
    const sink = createS3Sink({ client, bucket: 'b', prefix: 'p' });
    expect(await sink.list('')).toEqual(['a', 'b', 'c']);
    expect(requests).toEqual([
      { Bucket: 'b', Prefix: 'p/' },
      { Bucket: 'b', Prefix: 'p/', ContinuationToken: 'token-1' },
      { Bucket: 'b', Prefix: 'p/', ContinuationToken: 'token-2' },
    ]);
  });
});
