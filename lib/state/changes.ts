/**
 * What changed since the last run: compares observed issues with the tracked ones and returns the changes
 * and the next state document. Pure: no I/O, the input document is not modified.
 */

import { createHash } from 'node:crypto';
import type { IssueRow } from '../warehouse/schema';
import type { StateDocument, TrackedIssue } from './document';

export const CHANGE_KINDS = ['state_changed', 'regressed', 'new_issue', 'assignee_changed'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** Issue details carried into events; none of them is compared. */
export interface IssueEventAttributes {
  error_type?: string | null;
  error_message?: string | null;
  file_path?: string | null;
  function_name?: string | null;
  platform?: string | null;
  first_seen?: number | null;
  last_seen?: number | null;
  first_seen_version?: string | null;
  last_seen_version?: string | null;
  regressed_at?: number | null;
  regressed_at_version?: string | null;
  assignee_handle?: string | null;
  assignee_email?: string | null;
  assignee_name?: string | null;
  case_id?: string | null;
  case_key?: string | null;
  case_title?: string | null;
  case_status?: string | null;
  case_priority?: string | null;
  team_ids?: string[] | null;
  team_names?: Array<string | null> | null;
}

export interface IssueObservation {
  issue_id: string;
  /** `null` when the state is unknown; the tracked state is then kept. */
  state: string | null;
  assignee_id: string | null;
  service: string | null;
  /** True when the issue came from a search this run, false when it was re-checked by a direct look-up. */
  seen_in_search: boolean;
  /** When this observation was made; defaults to the run's `observedAt`. */
  observed_at?: number;
  attributes?: IssueEventAttributes;
}

export interface StateChange {
  /** Deterministic: a re-run after a crash recreates the same id for the same transition. */
  event_id: string;
  kind: ChangeKind;
  issue_id: string;
  service: string | null;
  previous_state: string | null;
  state: string | null;
  previous_assignee_id: string | null;
  assignee_id: string | null;
  observed_at: number;
  /** When the previous state was first observed; `null` for a new issue. */
  previous_observed_at: number | null;
  /** Version after the change. */
  state_version: number;
  seen_in_search: boolean;
  run_id: string;
  attributes: IssueEventAttributes;
}

export interface DetectChangesOptions {
  runId: string;
  observedAt: number;
  /** Record without emitting. Defaults to true until a baseline has been recorded. */
  baseline?: boolean;
}

export interface DetectChangesResult {
  changes: StateChange[];
  /** The document to commit: `sequence` is one more than the input's, since each detection is committed once. */
  next: StateDocument;
}

const REGRESSION_FROM = 'RESOLVED';
const REGRESSION_TO = 'OPEN';

/** Formats a SHA-256 prefix like a UUID, since event consumers often store ids in UUID columns. */
export function computeEventId(
  issueId: string,
  kind: ChangeKind,
  previousValue: string | null,
  newValue: string | null,
  previousStateVersion: number,
): string {
  const hex = createHash('sha256')
    .update(JSON.stringify([issueId, kind, previousValue, newValue, previousStateVersion]))
    .digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export function detectChanges(
  document: StateDocument,
  observations: readonly IssueObservation[],
  options: DetectChangesOptions,
): DetectChangesResult {
  const isBaseline = options.baseline ?? !document.baseline_done;
  const issues = new Map(document.issues);
  const changes: StateChange[] = [];

  for (const observation of observations) {
    const observedAt = observation.observed_at ?? options.observedAt;
    const tracked = issues.get(observation.issue_id);
    const attributes = observation.attributes ?? {};
    const lastSeenAt = observation.seen_in_search ? observedAt : (tracked?.last_seen_at ?? null);

    if (!tracked) {
      issues.set(observation.issue_id, {
        issue_id: observation.issue_id,
        state: observation.state,
        assignee_id: observation.assignee_id,
        service: observation.service,
        last_seen_at: lastSeenAt,
        last_checked_at: observedAt,
        state_version: 1,
        state_observed_at: observedAt,
      });
      if (!isBaseline) {
        changes.push({
          event_id: computeEventId(observation.issue_id, 'new_issue', null, observation.state, 0),
          kind: 'new_issue',
          issue_id: observation.issue_id,
          service: observation.service,
          previous_state: null,
          state: observation.state,
          previous_assignee_id: null,
          assignee_id: observation.assignee_id,
          observed_at: observedAt,
          previous_observed_at: null,
          state_version: 1,
          seen_in_search: observation.seen_in_search,
          run_id: options.runId,
          attributes,
        });
      }
      continue;
    }

    const state = observation.state ?? tracked.state;
    const stateChanged = state !== tracked.state;
    const assigneeChanged = observation.assignee_id !== tracked.assignee_id;
    const stateVersion = stateChanged || assigneeChanged ? tracked.state_version + 1 : tracked.state_version;
    const next: TrackedIssue = {
      issue_id: tracked.issue_id,
      state,
      assignee_id: observation.assignee_id,
      service: observation.service ?? tracked.service,
      last_seen_at: lastSeenAt,
      // Observations can arrive out of order (buckets of a backfill); never move the check time back.
      last_checked_at: Math.max(tracked.last_checked_at, observedAt),
      state_version: stateVersion,
      state_observed_at: stateChanged ? observedAt : tracked.state_observed_at,
    };
    if (next.last_seen_at !== null && tracked.last_seen_at !== null) {
      next.last_seen_at = Math.max(next.last_seen_at, tracked.last_seen_at);
    }
    issues.set(tracked.issue_id, next);
    if (isBaseline) continue;

    const change = (
      kind: ChangeKind,
      previousValue: string | null,
      newValue: string | null,
    ): StateChange => ({
      event_id: computeEventId(tracked.issue_id, kind, previousValue, newValue, tracked.state_version),
      kind,
      issue_id: tracked.issue_id,
      service: next.service,
      previous_state: tracked.state,
      state,
      previous_assignee_id: tracked.assignee_id,
      assignee_id: observation.assignee_id,
      observed_at: observedAt,
      previous_observed_at: tracked.state_observed_at,
      state_version: stateVersion,
      seen_in_search: observation.seen_in_search,
      run_id: options.runId,
      attributes,
    });
    if (stateChanged) {
      changes.push(change('state_changed', tracked.state, state));
      if (tracked.state === REGRESSION_FROM && state === REGRESSION_TO) {
        changes.push(change('regressed', tracked.state, state));
      }
    }
    if (assigneeChanged)
      changes.push(change('assignee_changed', tracked.assignee_id, observation.assignee_id));
  }

  return {
    changes,
    next: {
      format_version: document.format_version,
      watermark: document.watermark,
      sequence: document.sequence + 1,
      baseline_done: document.baseline_done || isBaseline,
      issues,
    },
  };
}

/** An observation from a warehouse row, so search results and re-checked issues share one mapping. */
export function observationFromIssueRow(
  row: IssueRow,
  seenInSearch: boolean,
  observedAt?: number,
): IssueObservation {
  return {
    issue_id: row.issue_id,
    state: row.state,
    assignee_id: row.assignee_id,
    service: row.service,
    seen_in_search: seenInSearch,
    ...(observedAt === undefined ? {} : { observed_at: observedAt }),
    attributes: {
      error_type: row.error_type,
      error_message: row.error_message,
      file_path: row.file_path,
      function_name: row.function_name,
      platform: row.platform,
      first_seen: row.first_seen,
      last_seen: row.last_seen,
      first_seen_version: row.first_seen_version,
      last_seen_version: row.last_seen_version,
      regressed_at: row.regressed_at,
      regressed_at_version: row.regressed_at_version,
      assignee_handle: row.assignee_handle,
      assignee_email: row.assignee_email,
      assignee_name: row.assignee_name,
      case_id: row.case_id,
      case_key: row.case_key,
      case_title: row.case_title,
      case_status: row.case_status,
      case_priority: row.case_priority,
      team_ids: row.team_ids,
      team_names: row.team_names,
    },
  };
}
