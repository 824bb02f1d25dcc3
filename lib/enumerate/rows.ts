import type { IssueAttributesWire } from '../datadog/types';
import type { IssueRow } from '../warehouse/schema';
import type { Bucket } from './buckets';
import type { HydratedIssue } from './hydrate';
import type { SearchScope } from './scope';

/** The per-bucket counts of one issue, summed over the windows that found it. */
export interface IssueBucketCounts {
  readonly issueId: string;
  readonly totalCount: number;
  readonly impactedUsers: number;
  readonly impactedSessions: number;
  readonly exact: boolean;
}

export interface RowContext {
  readonly bucket: Bucket;
  readonly scope: SearchScope;
  readonly runId: string;
  readonly exportedAt: number;
  readonly bucketComplete: boolean;
}

/** Issue attributes that have a column of their own; everything else goes to `raw_attributes`. */
const MAPPED_ATTRIBUTES = new Set([
  'error_message',
  'error_type',
  'file_path',
  'function_name',
  'service',
  'first_seen',
  'last_seen',
  'first_seen_version',
  'last_seen_version',
  'is_crash',
  'languages',
  'platform',
  'state',
]);

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const nonEmptyText = (value: unknown): string | null =>
  typeof value === 'string' && value !== '' ? value : null;
/**
 * An issue's lifetime instant: epoch milliseconds as the reference has them, or, from an API that sends
 * them otherwise, the same number as a string or an ISO-8601 time. Anything else is unknown, not invented.
 */
export function epochMsOf(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : null;
  if (typeof value !== 'string' || value.trim() === '') return null;
  const number = Number(value);
  if (Number.isFinite(number)) return Math.trunc(number);
  return isoToEpochMs(value);
}

function isoToEpochMs(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? null : parsed;
}

function stringList(value: unknown): string[] | null {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : null;
}

function rawAttributes(attributes: IssueAttributesWire): string | null {
  const unmapped = Object.entries(attributes).filter(([name]) => !MAPPED_ATTRIBUTES.has(name));
  return unmapped.length === 0 ? null : JSON.stringify(Object.fromEntries(unmapped));
}

/** The one place where Datadog's wire shapes become warehouse rows. */
export function toIssueRow(
  counts: IssueBucketCounts,
  hydrated: HydratedIssue,
  context: RowContext,
): IssueRow {
  const attributes: IssueAttributesWire = hydrated.issue?.attributes ?? {};
  const user = hydrated.assignee?.user?.attributes;
  const caseAttributes = hydrated.case?.record?.attributes;
  const teamIds = hydrated.teams.map((team) => team.id);
  return {
    issue_id: counts.issueId,
    service: text(attributes.service),
    state: text(attributes.state),
    error_type: text(attributes.error_type),
    error_message: text(attributes.error_message),
    file_path: text(attributes.file_path),
    function_name: text(attributes.function_name),
    platform: text(attributes.platform),
    languages: stringList(attributes.languages),
    is_crash: typeof attributes.is_crash === 'boolean' ? attributes.is_crash : null,
    first_seen: epochMsOf(attributes.first_seen),
    last_seen: epochMsOf(attributes.last_seen),
    first_seen_version: nonEmptyText(attributes.first_seen_version),
    last_seen_version: nonEmptyText(attributes.last_seen_version),
    regressed_at: isoToEpochMs(attributes.regression?.regressed_at),
    regressed_at_version: nonEmptyText(attributes.regression?.regressed_at_version),
    total_count: counts.totalCount,
    impacted_users: counts.impactedUsers,
    impacted_sessions: counts.impactedSessions,
    impacted_counts_exact: counts.exact,
    bucket_complete: context.bucketComplete,
    window_start: context.bucket.start,
    window_end: context.bucket.end,
    track: context.scope.track ?? null,
    persona: context.scope.track ? null : (context.scope.persona ?? 'ALL'),
    assignee_id: hydrated.assignee?.id ?? null,
    assignee_email: nonEmptyText(user?.email),
    assignee_handle: nonEmptyText(user?.handle),
    assignee_name: nonEmptyText(user?.name),
    case_id: hydrated.case?.id ?? null,
    case_key: text(caseAttributes?.key),
    case_title: text(caseAttributes?.title),
    case_status: text(caseAttributes?.status),
    case_priority: text(caseAttributes?.priority),
    case_jira_issue_key: text(caseAttributes?.jira_issue?.result?.issue_key),
    team_ids: teamIds.length > 0 ? teamIds : null,
    team_handles:
      teamIds.length > 0 ? hydrated.teams.map((team) => text(team.team?.attributes.handle)) : null,
    team_names: teamIds.length > 0 ? hydrated.teams.map((team) => text(team.team?.attributes.name)) : null,
    raw_attributes: rawAttributes(attributes),
    exported_at: context.exportedAt,
    run_id: context.runId,
  };
}
