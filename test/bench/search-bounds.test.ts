import { describe, expect, it } from 'vitest';
import { HOUR, searchBounds } from '../../bench/enumeration';
import type { GroundTruthEntry } from '../../lib/simulator';

function entries(bucketStart: number, issues: number): GroundTruthEntry[] {
  return Array.from({ length: issues }, (_, index) => ({
    issueId: `issue-${bucketStart}-${index}`,
    service: 'checkout',
    track: 'trace',
    bucketStart,
    totalCount: 1,
    impactedUsers: 1,
    impactedSessions: 1,
  }));
}

describe('search bounds', () => {
  it('counts a search for every bucket, and two for a bucket of exactly 100 issues', () => {
    // Buckets of 99, 100 and 0 issues: one search proves 99 complete, 100 needs two, an empty bucket one.
    const truth = [...entries(0, 99), ...entries(HOUR, 100)];
    const bounds = searchBounds(truth, { from: 0, to: 3 * HOUR });
    expect(bounds).toEqual({ issueBuckets: 199, lowerBound: 2, perBucketBound: 4, nonEmptyBuckets: 2 });
  });
});
