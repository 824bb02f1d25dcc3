/** Writes one time bucket of issue rows: one Parquet file per `service=` partition. */
import { escapePartitionValue, formatDuration, issueObjectKey, utcCompactTimestamp, utcDate } from './layout';
import { encodeParquetStreaming } from './parquet';
import { ISSUE_COLUMNS, type IssueRow } from './schema';
import type { ObjectSink } from './sink';

export const PARQUET_CONTENT_TYPE = 'application/vnd.apache.parquet';

export interface IssueBucket {
  /** Epoch ms, UTC; every row's `window_start` must equal it. */
  bucketStart: number;
  bucketMs: number;
  scopeId: string;
}

export interface WrittenFile {
  key: string;
  /** Raw service of the file's rows; `null` for the default partition (null or empty service). */
  service: string | null;
  /** `YYYY-MM-DD`, the `dt=` partition. */
  dt: string;
  rows: number;
  bytes: number;
}

export class BucketMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * Groups rows by service partition and writes each group to its deterministic key, replacing the file a
 * previous run wrote for the same bucket, service and scope. Files come back ordered by key; rows keep
 * their input order inside a file. No rows, no files.
 */
export async function writeIssueBucket(
  sink: ObjectSink,
  rows: readonly IssueRow[],
  bucket: IssueBucket,
): Promise<WrittenFile[]> {
  const groups = new Map<string, { service: string | null; rows: IssueRow[] }>();
  for (const row of rows) {
    if (row.window_start !== bucket.bucketStart) {
      // A row filed under another bucket's key would be silently duplicated or lost on re-runs.
      throw new BucketMismatchError(
        `Issue ${row.issue_id} has window_start ${row.window_start}, not the bucket start ${bucket.bucketStart}.`,
      );
    }
    const partition = escapePartitionValue(row.service);
    let group = groups.get(partition);
    if (!group) {
      group = { service: row.service === '' ? null : row.service, rows: [] };
      groups.set(partition, group);
    }
    group.rows.push(row);
  }

  const planned = [...groups.values()]
    .map((group) => ({ ...group, key: issueObjectKey({ ...bucket, service: group.service }) }))
    .sort((left, right) => (left.key < right.key ? -1 : left.key > right.key ? 1 : 0));

  const written: WrittenFile[] = [];
  for (const file of planned) {
    // One file at a time: encoding is CPU-bound anyway, and only one encoded body is held in memory.
    // Streaming keeps WebAssembly memory to one row group even for a very large bucket.
    const body = await encodeParquetStreaming(
      ISSUE_COLUMNS,
      file.rows as unknown as readonly Record<string, unknown>[],
    );
    await sink.put(file.key, body, PARQUET_CONTENT_TYPE);
    written.push({
      key: file.key,
      service: file.service,
      dt: utcDate(bucket.bucketStart),
      rows: file.rows.length,
      bytes: body.byteLength,
    });
  }
  await removeStaleFiles(sink, bucket, written);
  return written;
}

/** Where the keys a bucket's last export wrote are listed, so the next export of it can find them. */
export function bucketIndexKey(bucket: IssueBucket): string {
  return `_index/issues/${bucket.scopeId}/${utcCompactTimestamp(bucket.bucketStart)}_${formatDuration(bucket.bucketMs)}.json`;
}

/**
 * A re-export of a bucket overwrites its files by key, but a service that no longer has rows in it (an
 * issue moved to another service, or was deleted) would leave its old file behind, and its rows would be
 * counted twice. Each bucket therefore keeps an index of the keys it wrote; files in the previous index
 * that this export did not write are deleted, and only then is the new index written, so a crash in
 * between leaves the old index to finish the clean-up next time.
 */
async function removeStaleFiles(sink: ObjectSink, bucket: IssueBucket, written: readonly WrittenFile[]) {
  const indexKey = bucketIndexKey(bucket);
  const previous = await sink.get(indexKey);
  const current = new Set(written.map((file) => file.key));
  if (previous) {
    const { keys } = JSON.parse(new TextDecoder().decode(previous)) as { keys: string[] };
    for (const key of keys) if (!current.has(key)) await sink.delete(key);
  }
  if (!previous && written.length === 0) return;
  const body = new TextEncoder().encode(`${JSON.stringify({ keys: [...current].sort() })}\n`);
  await sink.put(indexKey, body, 'application/json');
}
