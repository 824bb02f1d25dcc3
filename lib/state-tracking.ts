import type { ErrorTrackingApi } from './datadog/api';
import type { Hydrator } from './enumerate/hydrate';
import { toIssueRow } from './enumerate/rows';
import { type BuildEventsOptions, buildEvents, type EventSink } from './events';
import {
  CHANGE_KINDS,
  type ChangeKind,
  detectChanges,
  type IssueObservation,
  observationFromIssueRow,
  type StateChange,
  type StateDocument,
  type StateStore,
  selectIssuesToRecheck,
} from './state';
import type { WrittenFile } from './warehouse/issue-writer';
import { utcDate } from './warehouse/layout';
import { encodeParquet } from './warehouse/parquet';
import { STATE_CHANGE_COLUMNS } from './warehouse/schema';
import type { ObjectSink } from './warehouse/sink';

/** Points between the steps of a commit, where tests inject crashes. */
export type CommitStage = 'parquet-written' | 'events-published' | 'state-committed';

export interface StateTrackingOptions {
  readonly store: StateStore;
  readonly events?: EventSink;
  readonly eventOptions?: BuildEventsOptions;
  /** Quiet issues are re-checked by `GET issue` at least this often, budget permitting. @default 1 hour */
  readonly recheckMaxAgeMs?: number;
  /** Most `GET issue` re-checks per run. @default 500 */
  readonly recheckBudget?: number;
  /**
   * An issue whose re-check finds it gone (404) stops being tracked once it has not been seen in a
   * search for this long, so purged issues do not spend the re-check budget forever. @default 7 days
   */
  readonly forgetNotFoundAfterMs?: number;
  readonly onStage?: (stage: CommitStage) => void | Promise<void>;
  /**
   * Set when the caller knows this run's range stops short of the present, as a Lambda catching up a
   * backlog does. A baseline then stays open, so issues first seen while catching up are recorded
   * silently instead of being announced as new.
   */
  readonly rangeStopsShortOfPresent?: boolean;
}

export interface StateSummary {
  readonly location: string;
  readonly baseline: boolean;
  readonly sequence: number;
  readonly watermark: string | null;
  readonly tracked_issues: number;
  readonly observed_in_search: number;
  /** Tracked quiet issues in a state that can change without new errors (OPEN, ACKNOWLEDGED, newer ones). */
  readonly recheck_eligible: number;
  readonly rechecked: number;
  readonly recheck_not_found: number;
  /** Issues no longer tracked because a re-check found them gone (see `forgetNotFoundAfterMs`). */
  readonly forgotten: number;
  /** Quiet issues due for a re-check that did not fit in this run's budget. */
  readonly recheck_overdue: number;
  readonly changes: Record<ChangeKind, number>;
  readonly events_target: string | null;
  readonly events_published: number;
  readonly changes_file: WrittenFile | null;
}

export const DEFAULT_RECHECK_MAX_AGE_MS = 3_600_000;
export const DEFAULT_RECHECK_BUDGET = 500;
export const DEFAULT_FORGET_NOT_FOUND_AFTER_MS = 7 * 24 * 3_600_000;

/** Collects one observation per issue: the one from the latest bucket it appeared in. */
export class ObservationCollector {
  private readonly latest = new Map<string, { bucketStart: number; observation: IssueObservation }>();

  add(row: Parameters<typeof observationFromIssueRow>[0]): void {
    const previous = this.latest.get(row.issue_id);
    if (previous && previous.bucketStart > row.window_start) return;
    this.latest.set(row.issue_id, {
      bucketStart: row.window_start,
      observation: observationFromIssueRow(row, true),
    });
  }

  get seenIds(): ReadonlySet<string> {
    return new Set(this.latest.keys());
  }

  observations(): IssueObservation[] {
    return [...this.latest.values()].map((entry) => entry.observation);
  }
}

function changeRows(changes: readonly StateChange[]) {
  return changes.map((change) => ({
    event_id: change.event_id,
    issue_id: change.issue_id,
    service: change.service,
    change_kind: change.kind,
    previous_state: change.previous_state,
    state: change.state,
    observed_at: change.observed_at,
    previous_observed_at: change.previous_observed_at,
    previous_assignee_id: change.previous_assignee_id,
    assignee_id: change.assignee_id,
    assignee_handle: change.attributes.assignee_handle ?? null,
    error_type: change.attributes.error_type ?? null,
    error_message: change.attributes.error_message ?? null,
    first_seen_version: change.attributes.first_seen_version ?? null,
    last_seen_version: change.attributes.last_seen_version ?? null,
    case_key: change.attributes.case_key ?? null,
    case_priority: change.attributes.case_priority ?? null,
    team_names: change.attributes.team_names ?? null,
    run_id: change.run_id,
  }));
}

/**
 * Re-checks quiet issues, detects changes, and commits them in the order that makes a crash at any point
 * safe to re-run: history Parquet → events → state. Until the state commits, a re-run sees the same
 * previous states and versions, so it recreates the same changes with the same event ids (and the same
 * Parquet key, which it overwrites); after it commits, nothing is detected twice.
 */
export async function commitStateChanges(input: {
  readonly options: StateTrackingOptions;
  readonly loaded: { document: StateDocument; revision: string | null };
  readonly collector: ObservationCollector;
  readonly api: ErrorTrackingApi;
  readonly hydrator: Hydrator;
  readonly sink: ObjectSink;
  readonly runId: string;
  readonly observedAt: number;
  readonly exportedThrough: number | null;
  /** The run stopped before its last bucket (deadline); a baseline run then stays open. */
  readonly stoppedEarly: boolean;
}): Promise<StateSummary> {
  const { options, loaded, collector, runId, observedAt } = input;
  const { document, revision } = loaded;
  const baseline = !document.baseline_done;
  const selection = selectIssuesToRecheck(document, {
    seenIds: collector.seenIds,
    now: observedAt,
    maxAgeMs: options.recheckMaxAgeMs ?? DEFAULT_RECHECK_MAX_AGE_MS,
    budget: options.recheckBudget ?? DEFAULT_RECHECK_BUDGET,
  });
  const notFound: string[] = [];
  const rechecked = await Promise.all(
    selection.issueIds.map(async (issueId) => {
      const hydrated = await input.hydrator.refresh(issueId);
      if (!hydrated.issue) {
        notFound.push(issueId);
        return null;
      }
      const row = toIssueRow(
        { issueId, totalCount: 0, impactedUsers: 0, impactedSessions: 0, exact: true },
        hydrated,
        {
          bucket: { start: observedAt, end: observedAt },
          scope: { query: '*' },
          runId,
          exportedAt: observedAt,
          bucketComplete: true,
        },
      );
      return observationFromIssueRow(row, false);
    }),
  );
  const observations = [...collector.observations(), ...rechecked.filter((item) => item !== null)];
  const { changes, next } = detectChanges(document, observations, { runId, observedAt, baseline });
  const watermark =
    input.exportedThrough === null
      ? document.watermark
      : Math.max(document.watermark ?? Number.NEGATIVE_INFINITY, input.exportedThrough);
  const baselineStaysOpen = baseline && (input.stoppedEarly || options.rangeStopsShortOfPresent === true);
  const forgetAfter = options.forgetNotFoundAfterMs ?? DEFAULT_FORGET_NOT_FOUND_AFTER_MS;
  const issues = new Map(next.issues);
  let forgotten = 0;
  for (const issueId of notFound) {
    const lastSeen = issues.get(issueId)?.last_seen_at ?? Number.NEGATIVE_INFINITY;
    if (collector.seenIds.has(issueId) || observedAt - lastSeen < forgetAfter) continue;
    if (issues.delete(issueId)) forgotten += 1;
  }
  const committed: StateDocument = {
    ...next,
    issues,
    watermark,
    baseline_done: next.baseline_done && !baselineStaysOpen,
  };

  let changesFile: WrittenFile | null = null;
  if (changes.length > 0) {
    const dt = utcDate(observedAt);
    // Keyed by the state sequence being committed, so a re-run after a crash overwrites this very file.
    const key = `issue_state_changes/dt=${dt}/changes-${String(committed.sequence).padStart(10, '0')}.parquet`;
    const body = encodeParquet(STATE_CHANGE_COLUMNS, changeRows(changes));
    await input.sink.put(key, body, 'application/vnd.apache.parquet');
    changesFile = { key, service: null, dt, rows: changes.length, bytes: body.byteLength };
  }
  await options.onStage?.('parquet-written');
  const events = buildEvents(changes, options.eventOptions ?? {});
  const published =
    options.events && events.length > 0 ? (await options.events.publish(events)).published : 0;
  await options.onStage?.('events-published');
  await options.store.commit(committed, revision);
  await options.onStage?.('state-committed');

  const byKind = Object.fromEntries(CHANGE_KINDS.map((kind) => [kind, 0])) as Record<ChangeKind, number>;
  for (const change of changes) byKind[change.kind] += 1;
  return {
    location: options.store.location,
    baseline,
    sequence: committed.sequence,
    watermark: committed.watermark === null ? null : new Date(committed.watermark).toISOString(),
    tracked_issues: committed.issues.size,
    observed_in_search: collector.seenIds.size,
    recheck_eligible: selection.eligible,
    rechecked: selection.issueIds.length,
    recheck_not_found: notFound.length,
    forgotten,
    recheck_overdue: selection.overdue,
    changes: byKind,
    events_target: options.events?.target ?? null,
    events_published: published,
    changes_file: changesFile,
  };
}
