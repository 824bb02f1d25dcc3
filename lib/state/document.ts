/**
 * The exporter's memory between runs: every issue it has seen, with the state it last observed, so a run
 * can tell what changed since the previous one. Timestamps are epoch milliseconds.
 */

import { UserError } from '../errors';

/** Bumped when the stored encoding changes in a way older readers cannot read. */
export const STATE_FORMAT_VERSION = 1;

export interface TrackedIssue {
  issue_id: string;
  state: string | null;
  assignee_id: string | null;
  service: string | null;
  /** Last time the issue appeared in a search; `null` if it has only been observed by a direct look-up. */
  last_seen_at: number | null;
  /** Last time the issue's state was observed, by a search or a direct look-up. */
  last_checked_at: number;
  /**
   * +1 on every recorded change (state or assignee), so the pair (issue, version) names one transition and
   * event ids derived from it never repeat. Starts at 1 when the issue is first tracked.
   */
  state_version: number;
  /** When the current state was first observed. */
  state_observed_at: number;
}

export interface StateDocument {
  format_version: number;
  /** End of the last fully exported bucket, or `null` before the first one. */
  watermark: number | null;
  /** +1 per commit. */
  sequence: number;
  /** True once a run has recorded the initial set of issues without emitting events for them. */
  baseline_done: boolean;
  issues: Map<string, TrackedIssue>;
}

export function createEmptyStateDocument(): StateDocument {
  return {
    format_version: STATE_FORMAT_VERSION,
    watermark: null,
    sequence: 0,
    baseline_done: false,
    issues: new Map(),
  };
}

/**
 * Another run committed the state after this run loaded it. Nothing was written, so re-running starts from
 * the other run's state and is safe.
 */
export class StateConflictError extends UserError {
  readonly location: string;
  /** `reason` replaces the default "another run committed first" part. */
  constructor(location: string, reason = `Another run committed the state at ${location} first`) {
    super(`${reason}; nothing was committed. Re-run to continue from the newer state.`, 3);
    this.location = location;
  }
}

/** The stored state cannot be read: written by a newer exporter or damaged. */
export class StateFormatError extends UserError {
  constructor(location: string, reason: string) {
    super(
      `State at ${location} cannot be read (${reason}); restore it from a backup or delete it to start a new baseline.`,
      3,
    );
  }
}

/**
 * Where a state document lives. `revision` is an opaque token (an S3 ETag, a local revision id) that names the
 * stored version a document was loaded from; `null` means nothing is stored yet.
 */
export interface StateStore {
  /** Human-readable location, such as `/abs/dir` or `s3://bucket/prefix`. */
  readonly location: string;
  /** An empty store loads as an empty document with revision `null`. */
  load(): Promise<{ document: StateDocument; revision: string | null }>;
  /**
   * Stores `document` exactly as given if the stored revision is still `revision`, and returns the new
   * revision. Throws `StateConflictError` when another run committed in between; nothing is written then.
   */
  commit(document: StateDocument, revision: string | null): Promise<string>;
}
