import { describe, expect, it } from 'vitest';
import { aggregateLeaves, OverlappingWindowsError } from '../../lib/enumerate/aggregate';

const result = (id: string, total: number, users: number, sessions = users) => ({
  id,
  type: 'error_tracking_search_result',
  attributes: { total_count: total, impacted_users: users, impacted_sessions: sessions },
});

describe('aggregating leaf windows to one row per issue per bucket', () => {
  const bucket = { start: 0, end: 100 };

  it('keeps exact distinct counts when one search covered the whole bucket', () => {
    const [entry] = aggregateLeaves(bucket, [
      { from: 0, to: 100, filter: {}, results: [result('x', 7, 3, 4)] },
    ]);
    expect(entry).toEqual({
      issueId: 'x',
      totalCount: 7,
      impactedUsers: 3,
      impactedSessions: 4,
      exact: true,
    });
  });

  it('sums occurrences over time-split windows and flags distinct counts as lower bounds', () => {
    const entries = aggregateLeaves(bucket, [
      { from: 0, to: 50, filter: {}, results: [result('x', 7, 3), result('y', 1, 1)] },
      { from: 50, to: 100, filter: {}, results: [result('x', 5, 4)] },
    ]);
    expect(entries).toEqual([
      { issueId: 'x', totalCount: 12, impactedUsers: 4, impactedSessions: 4, exact: false },
      { issueId: 'y', totalCount: 1, impactedUsers: 1, impactedSessions: 1, exact: false },
    ]);
  });

  it('treats facet-split windows spanning the bucket as exact', () => {
    const entries = aggregateLeaves(bucket, [
      { from: 0, to: 100, filter: {}, results: [result('a', 2, 2)] },
      { from: 0, to: 100, filter: {}, results: [result('b', 3, 1)] },
    ]);
    expect(entries.map((entry) => entry.exact)).toEqual([true, true]);
  });
});

describe('guarding against counting errors twice', () => {
  const bucket = { start: 0, end: 100 };

  it('counts an issue found twice for the very same range once (its state changed between two searches)', () => {
    const [entry] = aggregateLeaves(bucket, [
      { from: 0, to: 50, filter: { states: ['OPEN'] }, results: [result('x', 4, 2)] },
      { from: 0, to: 50, filter: { states: ['RESOLVED'] }, results: [result('x', 4, 2)] },
      { from: 50, to: 100, filter: {}, results: [result('x', 3, 1)] },
    ]);
    expect(entry).toMatchObject({ issueId: 'x', totalCount: 7, exact: false });
  });

  it('refuses partially overlapping windows rather than writing a doubled total', () => {
    expect(() =>
      aggregateLeaves(bucket, [
        { from: 0, to: 60, filter: {}, results: [result('x', 4, 2)] },
        { from: 50, to: 100, filter: {}, results: [result('x', 3, 1)] },
      ]),
    ).toThrow(OverlappingWindowsError);
  });
});
