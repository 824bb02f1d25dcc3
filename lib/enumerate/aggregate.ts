import type { Bucket } from './buckets';
import type { LeafWindow } from './enumerate';
import type { IssueBucketCounts } from './rows';

/**
 * Sums the leaf windows of one bucket into one entry per issue. Occurrence counts add up over disjoint
 * windows; distinct user and session counts do not, so for an issue found in more than one window, or in
 * a window narrower than the bucket, they are the largest window's count: a lower bound, flagged inexact.
 */
export function aggregateLeaves(bucket: Bucket, leaves: readonly LeafWindow[]): IssueBucketCounts[] {
  const byIssue = new Map<
    string,
    {
      totalCount: number;
      impactedUsers: number;
      impactedSessions: number;
      windows: number;
      spansBucket: boolean;
    }
  >();
  for (const leaf of leaves) {
    const spansBucket = leaf.from === bucket.start && leaf.to === bucket.end;
    for (const result of leaf.results) {
      const issueId = result.relationships?.issue?.data?.id ?? result.id;
      const totalCount = result.attributes.total_count ?? 0;
      const users = result.attributes.impacted_users ?? 0;
      const sessions = result.attributes.impacted_sessions ?? 0;
      const entry = byIssue.get(issueId);
      if (entry) {
        entry.totalCount += totalCount;
        entry.impactedUsers = Math.max(entry.impactedUsers, users);
        entry.impactedSessions = Math.max(entry.impactedSessions, sessions);
        entry.windows += 1;
      } else {
        byIssue.set(issueId, {
          totalCount,
          impactedUsers: users,
          impactedSessions: sessions,
          windows: 1,
          spansBucket,
        });
      }
    }
  }
  return [...byIssue.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([issueId, entry]) => ({
      issueId,
      totalCount: entry.totalCount,
      impactedUsers: entry.impactedUsers,
      impactedSessions: entry.impactedSessions,
      exact: entry.windows === 1 && entry.spansBucket,
    }));
}
