/**
 * Which quiet issues to look up directly. A windowed search only returns issues with new errors, so a
 * state change made without new errors (a person resolving or ignoring an issue, Datadog auto-resolving an
 * inactive one) is only noticed by `GET issue`.
 *
 * Only OPEN and ACKNOWLEDGED issues (and states newer than this exporter) are re-checked by default. A
 * regression of a RESOLVED issue always comes with new errors, so the search sees it; the remaining ways
 * out of RESOLVED, IGNORED and EXCLUDED are manual and rare, and re-checking them would spend most of the
 * budget on the issues least likely to change (resolved issues accumulate without bound). Pass
 * `settledStates: []` to re-check every tracked issue.
 */

import type { StateDocument, TrackedIssue } from './document';

export const DEFAULT_SETTLED_STATES: readonly string[] = ['RESOLVED', 'IGNORED', 'EXCLUDED'];

export interface RecheckOptions {
  /** Issues already observed this run (search results); they need no look-up. */
  seenIds: ReadonlySet<string>;
  now: number;
  /** Every eligible issue should be re-checked at least this often. */
  maxAgeMs: number;
  /** Most look-ups to spend this run. */
  budget: number;
  /** States not re-checked. */
  settledStates?: readonly string[];
}

export interface RecheckSelection {
  /** Oldest `last_checked_at` first. */
  issueIds: string[];
  /** Tracked issues in a re-checkable state that were not seen this run. */
  eligible: number;
  /** Eligible issues last checked `maxAgeMs` or longer ago. */
  due: number;
  /** Due issues that did not fit in the budget: their state is older than `maxAgeMs` after this run. */
  overdue: number;
}

/**
 * Fills the budget oldest first, not only with due issues: a small set of open issues is then re-checked
 * every run and its changes surface quickly, while a large set rotates so each issue is checked within
 * `maxAgeMs` as long as `budget * runs per maxAgeMs >= eligible`.
 */
export function selectIssuesToRecheck(document: StateDocument, options: RecheckOptions): RecheckSelection {
  const settled = new Set(options.settledStates ?? DEFAULT_SETTLED_STATES);
  const dueBefore = options.now - options.maxAgeMs;
  const candidates: TrackedIssue[] = [];
  let due = 0;
  for (const issue of document.issues.values()) {
    if (options.seenIds.has(issue.issue_id)) continue;
    if (issue.state !== null && settled.has(issue.state)) continue;
    candidates.push(issue);
    if (issue.last_checked_at <= dueBefore) due++;
  }
  candidates.sort(
    (left, right) =>
      left.last_checked_at - right.last_checked_at ||
      (left.issue_id < right.issue_id ? -1 : left.issue_id > right.issue_id ? 1 : 0),
  );
  const selected = candidates.slice(0, Math.max(0, Math.floor(options.budget)));
  const dueSelected = selected.reduce(
    (count, issue) => count + (issue.last_checked_at <= dueBefore ? 1 : 0),
    0,
  );
  return {
    issueIds: selected.map((issue) => issue.issue_id),
    eligible: candidates.length,
    due,
    overdue: due - dueSelected,
  };
}
