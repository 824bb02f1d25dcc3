import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BucketMismatchError, bucketIndexKey, writeIssueBucket } from '../../lib/warehouse/issue-writer';
import { unescapePartitionValue } from '../../lib/warehouse/layout';
import { createLocalSink } from '../../lib/warehouse/local-sink';
import {
  BUCKET_START,
  HOUR_MS,
  issueRow,
  openDuckDB,
  queryRows,
  sqlString,
  temporaryDirectory,
} from './fixtures';

const ODD_SERVICES = [
  'checkout-api',
  'a/b',
  'key=value',
  'host:8080',
  '100%',
  'tab\there',
  'quote"s',
  "it's",
  '#hash',
  '[x]{y}^*?',
  'back\\slash',
  'del\u007f',
  'café サービス 🚀',
  ' spaced ',
  '..',
];

describe('writeIssueBucket', () => {
  let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
  let duckdb: Awaited<ReturnType<typeof openDuckDB>>;
  beforeEach(async () => {
    directory = await temporaryDirectory();
    duckdb = await openDuckDB();
  });
  afterEach(async () => {
    duckdb.close();
    await directory.remove();
  });

  const bucket = { bucketStart: BUCKET_START, bucketMs: HOUR_MS, scopeId: 'scope1' };
  const readIssues = (columns: string) =>
    queryRows(
      duckdb.connection,
      `SELECT ${columns} FROM read_parquet(${sqlString(`${directory.path}/issues/**/*.parquet`)},
         hive_partitioning = false, filename = true) ORDER BY issue_id`,
    );

  it('writes one file per service whose escaped folder name unescapes to the raw service column', async () => {
    const services: (string | null)[] = [...ODD_SERVICES, null, ''];
    const rows = services.map((service, index) =>
      issueRow({ issue_id: `issue-${String(index).padStart(2, '0')}`, service }),
    );
    const sink = createLocalSink(directory.path);
    const files = await writeIssueBucket(sink, rows, bucket);

    // null and '' share Hive's default partition, so there is one file fewer than there are services.
    expect(files).toHaveLength(services.length - 1);
    expect(files.map((file) => file.key)).toEqual([...files.map((file) => file.key)].sort());
    expect(files.reduce((sum, file) => sum + file.rows, 0)).toBe(rows.length);
    for (const file of files) {
      expect(file.dt).toBe('2026-01-15');
      expect(file.key).toMatch(/^issues\/service=[^/]+\/dt=2026-01-15\/20260115T130000Z_1h_scope1\.parquet$/);
      expect(file.bytes).toBe((await sink.get(file.key))?.byteLength);
    }
    const defaultFile = files.find((file) => file.key.includes('__HIVE_DEFAULT_PARTITION__'));
    expect(defaultFile).toMatchObject({ service: null, rows: 2 });
    expect(files.find((file) => file.service === 'a/b')?.key).toContain('/service=a%2Fb/');

    const readBack = await readIssues('issue_id, service, filename');
    expect(readBack.map((row) => row.service)).toEqual(services);
    for (const row of readBack) {
      const folder = /\/issues\/service=([^/]+)\/dt=/.exec(String(row.filename))?.[1];
      expect(folder).toBeDefined();
      const partitionValue = unescapePartitionValue(folder!);
      expect(partitionValue).toBe(row.service === '' ? null : row.service);
    }
    expect(await sink.list('issues/')).toEqual(files.map((file) => file.key));
  });

  it('replaces the same bucket on a re-run instead of adding duplicates', async () => {
    const sink = createLocalSink(directory.path);
    const firstRun = [
      issueRow({ issue_id: 'i1', service: 'web', total_count: 1 }),
      issueRow({ issue_id: 'i2', service: 'api', total_count: 2 }),
    ];
    const firstFiles = await writeIssueBucket(sink, firstRun, bucket);
    const secondRun = [
      issueRow({ issue_id: 'i1', service: 'web', total_count: 10, run_id: 'second' }),
      issueRow({ issue_id: 'i2', service: 'api', total_count: 20, run_id: 'second' }),
    ];
    const secondFiles = await writeIssueBucket(sink, secondRun, bucket);
    expect(secondFiles.map((file) => file.key)).toEqual(firstFiles.map((file) => file.key));
    expect(await readIssues('issue_id, total_count, run_id')).toEqual([
      { issue_id: 'i1', total_count: 10n, run_id: 'second' },
      { issue_id: 'i2', total_count: 20n, run_id: 'second' },
    ]);

    // Another scope or another bucket lands in its own files.
    await writeIssueBucket(sink, [issueRow({ issue_id: 'i3', service: 'web' })], {
      ...bucket,
      scopeId: 'scope2',
    });
    const nextBucket = BUCKET_START + HOUR_MS;
    await writeIssueBucket(
      sink,
      [
        issueRow({
          issue_id: 'i4',
          service: 'web',
          window_start: nextBucket,
          window_end: nextBucket + HOUR_MS,
        }),
      ],
      {
        ...bucket,
        bucketStart: nextBucket,
      },
    );
    expect(await sink.list('issues/service=web/')).toEqual([
      'issues/service=web/dt=2026-01-15/20260115T130000Z_1h_scope1.parquet',
      'issues/service=web/dt=2026-01-15/20260115T130000Z_1h_scope2.parquet',
      'issues/service=web/dt=2026-01-15/20260115T140000Z_1h_scope1.parquet',
    ]);
    expect((await readIssues('issue_id')).map((row) => row.issue_id)).toEqual(['i1', 'i2', 'i3', 'i4']);
  });

  it('deletes the file of a service that no longer has rows when the bucket is exported again', async () => {
    const sink = createLocalSink(directory.path);
    await writeIssueBucket(
      sink,
      [issueRow({ issue_id: 'i1', service: 'web' }), issueRow({ issue_id: 'i2', service: 'api' })],
      bucket,
    );
    // i2 moved from api to web between the two exports.
    await writeIssueBucket(
      sink,
      [issueRow({ issue_id: 'i1', service: 'web' }), issueRow({ issue_id: 'i2', service: 'web' })],
      bucket,
    );
    expect(await sink.list('issues/')).toEqual([
      'issues/service=web/dt=2026-01-15/20260115T130000Z_1h_scope1.parquet',
    ]);
    expect((await readIssues('issue_id, service')).map((row) => [row.issue_id, row.service])).toEqual([
      ['i1', 'web'],
      ['i2', 'web'],
    ]);
    await writeIssueBucket(sink, [], bucket);
    expect(await sink.list('issues/')).toEqual([]);
    expect(JSON.parse(new TextDecoder().decode((await sink.get(bucketIndexKey(bucket)))!))).toEqual({
      keys: [],
    });
  });

  it('writes nothing for an empty bucket and refuses rows from another bucket', async () => {
    const sink = createLocalSink(directory.path);
    expect(await writeIssueBucket(sink, [], bucket)).toEqual([]);
    expect(await sink.list('')).toEqual([]);
    await expect(
      writeIssueBucket(sink, [issueRow({ window_start: BUCKET_START + HOUR_MS })], bucket),
    ).rejects.toBeInstanceOf(BucketMismatchError);
    expect(await sink.list('')).toEqual([]);
  });
});
