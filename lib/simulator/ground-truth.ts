/**
 * What an exporter should have written: one entry per issue per time bucket with at least one occurrence,
 * computed straight from the stored occurrences (no 100-result cap, no API).
 */
import { BadRequestError } from './errors';
import type { SimulatedIssue, SimulatedOrg } from './model';
import { windowRange } from './occurrences';
import { type IssueFilter, SearchEngine } from './search';

export interface GroundTruthOptions extends IssueFilter {
  /** Inclusive, epoch ms. */
  from: number;
  /** Exclusive, epoch ms. */
  to: number;
  /** Bucket length; buckets are aligned to epoch multiples of it (UTC). */
  bucketMs: number;
}

export interface GroundTruthEntry {
  issueId: string;
  /** `null` for an issue without a service attribute. */
  service: string | null;
  track: SimulatedIssue['track'];
  /** Epoch ms. Edge buckets only count occurrences inside `[from, to)`. */
  bucketStart: number;
  totalCount: number;
  impactedUsers: number;
  impactedSessions: number;
}

/** Entries sorted by `bucketStart`, then `issueId`. */
export function groundTruth(
  org: SimulatedOrg,
  options: GroundTruthOptions,
  engine: SearchEngine = new SearchEngine(org),
): GroundTruthEntry[] {
  const { from, to, bucketMs } = options;
  if (!(Number.isFinite(from) && Number.isFinite(to) && from < to)) {
    throw new BadRequestError('from and to must be epoch milliseconds with from before to');
  }
  if (!(Number.isSafeInteger(bucketMs) && bucketMs > 0)) {
    throw new BadRequestError('bucket_ms must be a positive integer');
  }
  const entries: GroundTruthEntry[] = [];
  for (const issue of engine.filterIssues(options, options)) {
    const { timestamps } = issue.occurrences;
    const [start, end] = windowRange(issue.occurrences, from, to);
    let bucketFirst = start;
    while (bucketFirst < end) {
      const bucketStart = Math.floor((timestamps[bucketFirst] as number) / bucketMs) * bucketMs;
      const bucketEnd = bucketStart + bucketMs;
      let bucketLast = bucketFirst + 1;
      while (bucketLast < end && (timestamps[bucketLast] as number) < bucketEnd) bucketLast++;
      entries.push({
        issueId: issue.id,
        service: issue.service ?? null,
        track: issue.track,
        bucketStart,
        totalCount: bucketLast - bucketFirst,
        impactedUsers: engine.countDistinctUsers(issue, bucketFirst, bucketLast),
        impactedSessions: engine.countDistinctSessions(issue, bucketFirst, bucketLast),
      });
      bucketFirst = bucketLast;
    }
  }
  entries.sort(
    (left, right) =>
      left.bucketStart - right.bucketStart ||
      (left.issueId < right.issueId ? -1 : left.issueId > right.issueId ? 1 : 0),
  );
  return entries;
}
