import { describe, expect, it } from 'vitest';
import { createEmptyStateDocument, type StateDocument } from '../../lib/state/document';
import { selectIssuesToRecheck } from '../../lib/state/recheck';

const NOW = Date.UTC(2025, 0, 2);
const HOUR = 3_600_000;

function documentWith(
  issues: Array<[id: string, state: string | null, checkedHoursAgo: number]>,
): StateDocument {
  const document = createEmptyStateDocument();
  for (const [issueId, state, checkedHoursAgo] of issues) {
    document.issues.set(issueId, {
      issue_id: issueId,
      state,
      assignee_id: null,
      service: 'checkout',
      last_seen_at: null,
      last_checked_at: NOW - checkedHoursAgo * HOUR,
      state_version: 1,
      state_observed_at: NOW - checkedHoursAgo * HOUR,
    });
  }
  return document;
}

describe('selectIssuesToRecheck', () => {
  const document = documentWith([
    ['open-old', 'OPEN', 30],
    ['ack-older', 'ACKNOWLEDGED', 40],
    ['open-fresh', 'OPEN', 1],
    ['open-seen', 'OPEN', 50],
    ['resolved', 'RESOLVED', 100],
    ['ignored', 'IGNORED', 100],
    ['excluded', 'EXCLUDED', 100],
    ['future-state', 'SNOOZED', 25],
  ]);

  it('picks quiet OPEN, ACKNOWLEDGED and unknown-state issues, oldest check first', () => {
    const selection = selectIssuesToRecheck(document, {
      seenIds: new Set(['open-seen']),
      now: NOW,
      maxAgeMs: 24 * HOUR,
      budget: 10,
    });
    expect(selection).toEqual({
      issueIds: ['ack-older', 'open-old', 'future-state', 'open-fresh'],
      eligible: 4,
      due: 3,
      overdue: 0,
    });
  });

  it('reports due issues that do not fit in the budget as overdue', () => {
    const selection = selectIssuesToRecheck(document, {
      seenIds: new Set(),
      now: NOW,
      maxAgeMs: 24 * HOUR,
      budget: 2,
    });
    expect(selection).toEqual({ issueIds: ['open-seen', 'ack-older'], eligible: 5, due: 4, overdue: 2 });
  });

  it('re-checks settled states when asked to', () => {
    const selection = selectIssuesToRecheck(document, {
      seenIds: new Set(),
      now: NOW,
      maxAgeMs: 24 * HOUR,
      budget: 3,
      settledStates: [],
    });
    expect(selection.issueIds).toEqual(['excluded', 'ignored', 'resolved']);
    expect(selection.eligible).toBe(8);
  });

  it('checks every issue within maxAge when budget × runs covers them', () => {
    let rotating = documentWith(
      Array.from({ length: 30 }, (_, index) => [`issue-${index}`, 'OPEN', 0] as const),
    );
    const runs = 6;
    const checkedAt = new Map<string, number[]>();
    for (let run = 1; run <= runs * 2; run++) {
      const now = NOW + run * 4 * HOUR;
      const selection = selectIssuesToRecheck(rotating, {
        seenIds: new Set(),
        now,
        maxAgeMs: 24 * HOUR,
        budget: 5,
      });
      expect(selection.overdue).toBe(0);
      const next = createEmptyStateDocument();
      for (const issue of rotating.issues.values()) {
        const selected = selection.issueIds.includes(issue.issue_id);
        next.issues.set(issue.issue_id, selected ? { ...issue, last_checked_at: now } : issue);
        if (selected) checkedAt.set(issue.issue_id, [...(checkedAt.get(issue.issue_id) ?? []), now]);
      }
      rotating = next;
    }
    expect(checkedAt.size).toBe(30);
    expect([...checkedAt.values()].every((times) => times.length === 2)).toBe(true);
  });
});
