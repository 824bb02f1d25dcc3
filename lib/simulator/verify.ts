import type { Warehouse } from '../warehouse/duckdb';
import type { GroundTruthEntry } from './ground-truth';

export interface GroundTruthComparison {
  /** Issue-buckets the simulator says had errors. */
  readonly expected: number;
  /** Issue-buckets whose exported Σ total_count equals the truth. */
  readonly matched: number;
  readonly missing: ReadonlyArray<{ issueId: string; bucketStart: number; expected: number }>;
  readonly wrongTotals: ReadonlyArray<{
    issueId: string;
    bucketStart: number;
    expected: number;
    exported: number;
  }>;
  /** Exported issue-buckets the simulator has no errors for: invented data. */
  readonly unexpected: ReadonlyArray<{ issueId: string; bucketStart: number; exported: number }>;
  /** (issue, bucket, track) keys with more than one row. */
  readonly duplicateRows: number;
}

const key = (issueId: string, bucketStart: number) => `${issueId}@${bucketStart}`;

/**
 * Compares what an export wrote (the DuckDB view `issues`) with the simulator's ground truth over a range:
 * per issue and bucket, Σ total_count over every row must equal the occurrences the simulator stored.
 */
export async function compareWithGroundTruth(
  warehouse: Warehouse,
  truth: readonly GroundTruthEntry[],
  range: { readonly from: number; readonly to: number },
): Promise<GroundTruthComparison> {
  const { connection } = warehouse;
  // A warehouse with no issue files yet has no `issues` view: that is an export of nothing.
  if (!warehouse.tables.includes('issues'))
    await connection.run(
      'CREATE TEMP TABLE issues AS SELECT NULL::VARCHAR AS issue_id, NULL::TIMESTAMPTZ AS window_start, NULL::VARCHAR AS track, NULL::BIGINT AS total_count WHERE false',
    );
  const exportedReader = await connection.runAndReadAll(`
    SELECT issue_id, epoch_ms(window_start) AS bucket_start, sum(total_count) AS total
    FROM issues
    WHERE window_start >= make_timestamp(${range.from}::BIGINT * 1000) AND window_start < make_timestamp(${range.to}::BIGINT * 1000)
    GROUP BY ALL`);
  const exported = new Map<string, { issueId: string; bucketStart: number; total: number }>();
  for (const row of exportedReader.getRowObjectsJS()) {
    const issueId = String(row.issue_id);
    const bucketStart = Number(row.bucket_start);
    exported.set(key(issueId, bucketStart), { issueId, bucketStart, total: Number(row.total) });
  }
  const duplicateReader = await connection.runAndReadAll(`
    SELECT count(*) AS duplicates FROM (
      SELECT issue_id, window_start, track FROM issues GROUP BY ALL HAVING count(*) > 1)`);
  const duplicateRows = Number(duplicateReader.getRowObjectsJS()[0]?.duplicates ?? 0);

  const missing: Array<{ issueId: string; bucketStart: number; expected: number }> = [];
  const wrongTotals: Array<{ issueId: string; bucketStart: number; expected: number; exported: number }> = [];
  let matched = 0;
  for (const entry of truth) {
    const found = exported.get(key(entry.issueId, entry.bucketStart));
    exported.delete(key(entry.issueId, entry.bucketStart));
    if (!found)
      missing.push({ issueId: entry.issueId, bucketStart: entry.bucketStart, expected: entry.totalCount });
    else if (found.total !== entry.totalCount) {
      wrongTotals.push({ ...found, expected: entry.totalCount, exported: found.total });
    } else matched += 1;
  }
  const unexpected = [...exported.values()].map((entry) => ({
    issueId: entry.issueId,
    bucketStart: entry.bucketStart,
    exported: entry.total,
  }));
  return { expected: truth.length, matched, missing, wrongTotals, unexpected, duplicateRows };
}
