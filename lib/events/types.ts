import type { ChangeKind } from '../state/changes';

export const DETAIL_TYPES = {
  state_changed: 'Issue State Changed',
  regressed: 'Issue Regressed',
  new_issue: 'New Issue',
  assignee_changed: 'Issue Assignee Changed',
} as const satisfies Record<ChangeKind, string>;

export type IssueDetailType = (typeof DETAIL_TYPES)[ChangeKind];

export interface IssueEventAssignee {
  id: string;
  handle: string | null;
  email: string | null;
  name: string | null;
}

/**
 * The `detail` of every event. `event_id` is this exporter's deterministic id for the transition: EventBridge
 * assigns its own `id` on PutEvents, so consumers that deduplicate (a re-run after a crash re-sends the same
 * transitions) must use `detail.event_id`.
 */
export interface IssueEventDetail {
  event_id: string;
  change: ChangeKind;
  issue_id: string;
  service: string | null;
  previous_state: string | null;
  state: string | null;
  /** ISO 8601. */
  observed_at: string;
  /** When the previous state was first observed (ISO 8601); `null` for a new issue. */
  previous_observed_at: string | null;
  state_version: number;
  error_type: string | null;
  error_message: string | null;
  /** Present and true when `error_message` was cut to keep the event small. */
  error_message_truncated?: true;
  assignee: IssueEventAssignee | null;
  previous_assignee_id: string | null;
  case: { key: string | null; title: string | null } | null;
  team_names: Array<string | null>;
  first_seen_version: string | null;
  last_seen_version: string | null;
  /** True when the change was noticed in a search (the issue had new errors), false for a direct look-up. */
  seen_in_search: boolean;
  run_id: string;
  site: string | null;
  /** Datadog UI link to the issue. */
  url: string | null;
}

export interface IssueEvent {
  /** Same as `detail.event_id`. */
  id: string;
  source: string;
  detailType: IssueDetailType;
  time: Date;
  resources: string[];
  detail: IssueEventDetail;
}

/** Where events go: EventBridge or an NDJSON file. */
export interface EventSink {
  /** Human-readable destination, such as `eventbridge:my-bus` or `/abs/events.ndjson`. */
  readonly target: string;
  publish(events: readonly IssueEvent[]): Promise<{ published: number }>;
}
