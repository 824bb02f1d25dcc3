import type { Bucket } from './buckets';
import type { LeafWindow } from './enumerate';
import type { IssueBucketCounts } from './rows';

/** Two leaf windows that overlap in time both claimed one issue: the plan searched something twice. */
export class OverlappingWindowsError extends Error {
  constructor(issueId: string, bucket: Bucket) {
    super(
      `Issue ${issueId} was found in two overlapping windows of bucket ${new Date(bucket.start).toISOString()}; ` +
        'refusing to write a total that may count errors twice',
    );
    this.name = new.target.name;
  }
}

interface Contribution {
  readonly from: number;
  readonly to: number;
  totalCount: number;
  impactedUsers: number;
  impactedSessions: number;
}

/**
 * Sums the leaf windows of one bucket into one entry per issue. Occurrences add up over disjoint windows;
 * distinct user and session counts do not, so for an issue found in more than one window, or in a window
 * narrower than the bucket, they are the largest window's count: a lower bound, flagged inexact.
 *
 * An issue can legitimately be found twice for the very same time range, when a facet (its state) changed
 * between two searches of a split; those are the same errors, counted once. Any other overlap would
 * double-count, so it stops the export instead.
 */
export function aggregateLeaves(bucket: Bucket, leaves: readonly LeafWindow[]): IssueBucketCounts[] {
  const byIssue = new Map<string, Contribution[]>();
  for (const leaf of leaves) {
    for (const result of leaf.results) {
      const issueId = result.relationships?.issue?.data?.id ?? result.id;
      const contribution: Contribution = {
        from: leaf.from,
        to: leaf.to,
        totalCount: result.attributes.total_count ?? 0,
        impactedUsers: result.attributes.impacted_users ?? 0,
        impactedSessions: result.attributes.impacted_sessions ?? 0,
      };
      const contributions = byIssue.get(issueId) ?? [];
      const sameRange = contributions.find((other) => other.from === leaf.from && other.to === leaf.to);
      if (sameRange) {
        sameRange.totalCount = Math.max(sameRange.totalCount, contribution.totalCount);
        sameRange.impactedUsers = Math.max(sameRange.impactedUsers, contribution.impactedUsers);
        sameRange.impactedSessions = Math.max(sameRange.impactedSessions, contribution.impactedSessions);
        continue;
      }
      if (contributions.some((other) => other.from < leaf.to && leaf.from < other.to)) {
        throw new OverlappingWindowsError(issueId, bucket);
      }
      contributions.push(contribution);
      byIssue.set(issueId, contributions);
    }
  }
  return [...byIssue.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([issueId, contributions]) => {
      const [only] = contributions;
      return {
        issueId,
        totalCount: contributions.reduce((sum, part) => sum + part.totalCount, 0),
        impactedUsers: Math.max(...contributions.map((part) => part.impactedUsers)),
        impactedSessions: Math.max(...contributions.map((part) => part.impactedSessions)),
        exact: contributions.length === 1 && only!.from === bucket.start && only!.to === bucket.end,
      };
    });
}
