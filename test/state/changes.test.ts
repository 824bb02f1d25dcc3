import { describe, expect, it } from 'vitest';
import {
  computeEventId,
  detectChanges,
  type IssueObservation,
  observationFromIssueRow,
} from '../../lib/state/changes';
import { createEmptyStateDocument, type StateDocument } from '../../lib/state/document';
import type { IssueRow } from '../../lib/warehouse/schema';

const T0 = Date.UTC(2025, 0, 1);
const HOUR = 3_600_000;

const observe = (
  issueId: string,
  state: string,
  overrides: Partial<IssueObservation> = {},
): IssueObservation => ({
  issue_id: issueId,
  state,
  assignee_id: null,
  service: 'checkout',
  seen_in_search: true,
  attributes: { error_type: 'TypeError', error_message: `boom ${issueId}` },
  ...overrides,
});

function baseline(observations: IssueObservation[]): StateDocument {
  return detectChanges(createEmptyStateDocument(), observations, { runId: 'run-0', observedAt: T0 }).next;
}

describe('detectChanges', () => {
  it('records a baseline on an empty store without emitting anything', () => {
    const empty = createEmptyStateDocument();
    const { changes, next } = detectChanges(empty, [observe('a', 'OPEN'), observe('b', 'RESOLVED')], {
      runId: 'run-0',
      observedAt: T0,
    });
    expect(changes).toEqual([]);
    expect(next.baseline_done).toBe(true);
    expect(next.sequence).toBe(1);
    expect(next.issues.get('b')).toEqual({
      issue_id: 'b',
      state: 'RESOLVED',
      assignee_id: null,
      service: 'checkout',
      last_seen_at: T0,
      last_checked_at: T0,
      state_version: 1,
      state_observed_at: T0,
    });
    expect(empty.issues.size).toBe(0);
  });

  it('emits state_changed and regressed for RESOLVED → OPEN, with the previous observation time', () => {
    const document = baseline([observe('a', 'RESOLVED')]);
    const { changes, next } = detectChanges(document, [observe('a', 'OPEN')], {
      runId: 'run-1',
      observedAt: T0 + HOUR,
    });
    expect(changes.map((change) => change.kind)).toEqual(['state_changed', 'regressed']);
    expect(changes[1]).toMatchObject({
      issue_id: 'a',
      previous_state: 'RESOLVED',
      state: 'OPEN',
      observed_at: T0 + HOUR,
      previous_observed_at: T0,
      state_version: 2,
      run_id: 'run-1',
      seen_in_search: true,
      attributes: { error_type: 'TypeError', error_message: 'boom a' },
    });
    expect(next.issues.get('a')).toMatchObject({
      state: 'OPEN',
      state_version: 2,
      state_observed_at: T0 + HOUR,
    });
    expect(document.issues.get('a')?.state).toBe('RESOLVED');
  });

  it('emits only state_changed for other transitions, such as OPEN → RESOLVED from a direct look-up', () => {
    const document = baseline([observe('a', 'OPEN')]);
    const { changes, next } = detectChanges(document, [observe('a', 'RESOLVED', { seen_in_search: false })], {
      runId: 'run-1',
      observedAt: T0 + HOUR,
    });
    expect(changes.map((change) => [change.kind, change.previous_state, change.state])).toEqual([
      ['state_changed', 'OPEN', 'RESOLVED'],
    ]);
    expect(changes[0]?.seen_in_search).toBe(false);
    expect(next.issues.get('a')).toMatchObject({ last_seen_at: T0, last_checked_at: T0 + HOUR });
  });

  it('emits new_issue for an issue first seen after the baseline', () => {
    const document = baseline([observe('a', 'OPEN')]);
    const { changes } = detectChanges(document, [observe('a', 'OPEN'), observe('b', 'OPEN')], {
      runId: 'run-1',
      observedAt: T0 + HOUR,
    });
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({
      kind: 'new_issue',
      issue_id: 'b',
      previous_state: null,
      state: 'OPEN',
    });
    expect(changes[0]?.previous_observed_at).toBeNull();
  });

  it('emits assignee_changed and keeps the state when the observation has no state', () => {
    const document = baseline([observe('a', 'ACKNOWLEDGED', { assignee_id: 'user-1' })]);
    const { changes, next } = detectChanges(
      document,
      [observe('a', 'ACKNOWLEDGED', { assignee_id: 'user-2', state: null })],
      { runId: 'run-1', observedAt: T0 + HOUR },
    );
    expect(changes.map((change) => [change.kind, change.previous_assignee_id, change.assignee_id])).toEqual([
      ['assignee_changed', 'user-1', 'user-2'],
    ]);
    expect(next.issues.get('a')).toMatchObject({
      state: 'ACKNOWLEDGED',
      assignee_id: 'user-2',
      state_version: 2,
    });
  });

  it('emits nothing for an unchanged issue and does not bump its version', () => {
    const document = baseline([observe('a', 'OPEN', { assignee_id: 'user-1' })]);
    const { changes, next } = detectChanges(document, [observe('a', 'OPEN', { assignee_id: 'user-1' })], {
      runId: 'run-1',
      observedAt: T0 + HOUR,
    });
    expect(changes).toEqual([]);
    expect(next.issues.get('a')).toMatchObject({ state_version: 1, last_seen_at: T0 + HOUR });
  });

  it('records without emitting when a baseline is forced', () => {
    const document = baseline([observe('a', 'RESOLVED')]);
    const { changes, next } = detectChanges(document, [observe('a', 'OPEN'), observe('b', 'OPEN')], {
      runId: 'run-1',
      observedAt: T0 + HOUR,
      baseline: true,
    });
    expect(changes).toEqual([]);
    expect(next.issues.get('a')?.state).toBe('OPEN');
    expect(next.issues.has('b')).toBe(true);
  });

  it('recreates the same event ids when a run is repeated from the same state', () => {
    const document = baseline([observe('a', 'RESOLVED'), observe('b', 'OPEN')]);
    const observations = [
      observe('a', 'OPEN'),
      observe('b', 'OPEN', { assignee_id: 'user-9' }),
      observe('c', 'OPEN'),
    ];
    const first = detectChanges(document, observations, { runId: 'run-1', observedAt: T0 + HOUR });
    const retried = detectChanges(document, observations, { runId: 'run-2', observedAt: T0 + 2 * HOUR });
    expect(retried.changes.map((change) => change.event_id)).toEqual(
      first.changes.map((change) => change.event_id),
    );
    expect(new Set(first.changes.map((change) => change.event_id)).size).toBe(4);
    expect(first.changes[0]?.event_id).toBe(computeEventId('a', 'state_changed', 'RESOLVED', 'OPEN', 1));
    expect(first.changes[0]?.event_id).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
  });

  it('gives a repeated transition (OPEN → RESOLVED twice) a new event id', () => {
    let document = baseline([observe('a', 'OPEN')]);
    const ids: string[] = [];
    for (const [hour, state] of [
      [1, 'RESOLVED'],
      [2, 'OPEN'],
      [3, 'RESOLVED'],
    ] as const) {
      const result = detectChanges(document, [observe('a', state)], {
        runId: `run-${hour}`,
        observedAt: T0 + hour * HOUR,
      });
      document = result.next;
      ids.push(
        ...result.changes
          .filter((change) => change.kind === 'state_changed')
          .map((change) => change.event_id),
      );
    }
    expect(ids).toHaveLength(3);
    expect(ids[0]).not.toBe(ids[2]);
  });
});

describe('observationFromIssueRow', () => {
  it('carries the row’s state, assignee, service and event attributes', () => {
    const row = {
      issue_id: 'a',
      service: 'checkout',
      state: 'OPEN',
      assignee_id: 'user-1',
      assignee_handle: 'ana',
      assignee_email: 'ana@example.com',
      assignee_name: 'Ana',
      error_type: 'TypeError',
      error_message: 'boom',
      case_key: 'ET-1',
      case_title: 'Checkout fails',
      team_names: ['payments'],
      first_seen_version: '1.0.0',
      last_seen_version: '1.2.0',
    } as IssueRow;
    const observation = observationFromIssueRow(row, true, T0);
    expect(observation).toMatchObject({
      issue_id: 'a',
      state: 'OPEN',
      assignee_id: 'user-1',
      service: 'checkout',
      seen_in_search: true,
      observed_at: T0,
      attributes: {
        assignee_handle: 'ana',
        case_key: 'ET-1',
        team_names: ['payments'],
        last_seen_version: '1.2.0',
      },
    });
  });
});
