/**
 * The warehouse column contract: the one source of truth for the Parquet writer, the Glue tables and the
 * README schema table. Tests check that the others agree with this file.
 */

export type ColumnType = 'string' | 'int64' | 'boolean' | 'timestamp' | 'string_list' | 'json';

export interface ColumnDefinition {
  readonly name: string;
  readonly type: ColumnType;
  readonly description: string;
}

const column = <Name extends string>(name: Name, type: ColumnType, description: string) => ({
  name,
  type,
  description,
});

export const ISSUE_COLUMNS = [
  column('issue_id', 'string', 'Datadog issue id (UUID).'),
  column(
    'service',
    'string',
    'Raw service name, unescaped; the `service=` partition holds the escaped form.',
  ),
  column(
    'state',
    'string',
    'Issue state at export time: OPEN, ACKNOWLEDGED, RESOLVED, IGNORED, EXCLUDED or newer.',
  ),
  column('error_type', 'string', 'Error type, for example `builtins.TypeError`.'),
  column('error_message', 'string', 'Error message.'),
  column('file_path', 'string', 'Source file where the error occurred.'),
  column('function_name', 'string', 'Function where the error occurred.'),
  column(
    'platform',
    'string',
    'ANDROID, BACKEND, BROWSER, FLUTTER, IOS, REACT_NATIVE, ROKU, UNKNOWN or newer.',
  ),
  column('languages', 'string_list', 'Languages of the issue.'),
  column('is_crash', 'boolean', 'Whether the error is a crash.'),
  column('first_seen', 'timestamp', 'Lifetime first occurrence (not the window).'),
  column('last_seen', 'timestamp', 'Lifetime last occurrence at export time (not the window).'),
  column(
    'first_seen_version',
    'string',
    'Application version of the first occurrence; empty strings become null.',
  ),
  column(
    'last_seen_version',
    'string',
    'Application version of the last occurrence; empty strings become null.',
  ),
  column('regressed_at', 'timestamp', 'When a resolved issue reopened, if it did.'),
  column('regressed_at_version', 'string', 'Version in which a resolved issue reopened, if known.'),
  column(
    'total_count',
    'int64',
    'Errors in the bucket: the sum over the searched sub-windows, always exact.',
  ),
  column(
    'impacted_users',
    'int64',
    'Distinct users in the bucket; a lower bound when `impacted_counts_exact` is false.',
  ),
  column(
    'impacted_sessions',
    'int64',
    'Distinct sessions in the bucket; a lower bound when `impacted_counts_exact` is false.',
  ),
  column(
    'impacted_counts_exact',
    'boolean',
    'True when the bucket was answered by one search, so distinct counts are exact.',
  ),
  column(
    'bucket_complete',
    'boolean',
    'False when part of the bucket could not be enumerated; see the run manifest.',
  ),
  column('window_start', 'timestamp', 'Bucket start, inclusive, UTC.'),
  column('window_end', 'timestamp', 'Bucket end, exclusive, UTC.'),
  column(
    'track',
    'string',
    'trace, logs or rum when tracks were searched separately (`--track`), else null.',
  ),
  column(
    'persona',
    'string',
    'Persona searched (ALL, BACKEND, BROWSER, MOBILE), null when `--track` was used.',
  ),
  column('assignee_id', 'string', 'Assigned user id.'),
  column('assignee_email', 'string', 'Assigned user email.'),
  column('assignee_handle', 'string', 'Assigned user handle.'),
  column('assignee_name', 'string', 'Assigned user name.'),
  column('case_id', 'string', 'Attached case id.'),
  column('case_key', 'string', 'Attached case key, for example ET-12.'),
  column('case_title', 'string', 'Attached case title.'),
  column('case_status', 'string', 'OPEN, IN_PROGRESS, CLOSED or newer.'),
  column('case_priority', 'string', 'NOT_DEFINED, P1..P5 or newer.'),
  column('case_jira_issue_key', 'string', 'Jira issue key linked to the case.'),
  column('team_ids', 'string_list', 'Owning team ids.'),
  column(
    'team_handles',
    'string_list',
    'Owning team handles, in `team_ids` order; null entries for unknown teams.',
  ),
  column(
    'team_names',
    'string_list',
    'Owning team names, in `team_ids` order; null entries for unknown teams.',
  ),
  column(
    'raw_attributes',
    'json',
    'Issue attributes this exporter does not map to a column, as a JSON object string.',
  ),
  column('exported_at', 'timestamp', 'When this run started.'),
  column('run_id', 'string', 'Id of the run that wrote the row; see `_runs/<run_id>.json`.'),
] as const satisfies readonly ColumnDefinition[];

/** One row per issue per bucket (per track when tracks are searched separately). Timestamps are epoch ms. */
export interface IssueRow {
  issue_id: string;
  service: string | null;
  state: string | null;
  error_type: string | null;
  error_message: string | null;
  file_path: string | null;
  function_name: string | null;
  platform: string | null;
  languages: string[] | null;
  is_crash: boolean | null;
  first_seen: number | null;
  last_seen: number | null;
  first_seen_version: string | null;
  last_seen_version: string | null;
  regressed_at: number | null;
  regressed_at_version: string | null;
  total_count: number;
  impacted_users: number;
  impacted_sessions: number;
  impacted_counts_exact: boolean;
  bucket_complete: boolean;
  window_start: number;
  window_end: number;
  track: string | null;
  persona: string | null;
  assignee_id: string | null;
  assignee_email: string | null;
  assignee_handle: string | null;
  assignee_name: string | null;
  case_id: string | null;
  case_key: string | null;
  case_title: string | null;
  case_status: string | null;
  case_priority: string | null;
  case_jira_issue_key: string | null;
  team_ids: string[] | null;
  team_handles: Array<string | null> | null;
  team_names: Array<string | null> | null;
  raw_attributes: string | null;
  exported_at: number;
  run_id: string;
}

/** One row per detected state change; partitioned by `dt`, the UTC date of `observed_at`. */
export const STATE_CHANGE_COLUMNS = [
  column(
    'event_id',
    'string',
    'Deterministic id of the change; equals `detail.event_id` of the published event.',
  ),
  column('issue_id', 'string', 'Datadog issue id.'),
  column('service', 'string', 'Raw service name.'),
  column('change_kind', 'string', 'state_changed, regressed, new_issue or assignee_changed.'),
  column('previous_state', 'string', 'State before the change; null for a new issue.'),
  column('state', 'string', 'State after the change.'),
  column('observed_at', 'timestamp', 'When this run observed the new state.'),
  column('previous_observed_at', 'timestamp', 'When the previous state was first observed.'),
  column('previous_assignee_id', 'string', 'Assignee before the change.'),
  column('assignee_id', 'string', 'Assignee after the change.'),
  column('assignee_handle', 'string', 'Assignee handle after the change.'),
  column('error_type', 'string', 'Error type of the issue.'),
  column('error_message', 'string', 'Error message of the issue.'),
  column('first_seen_version', 'string', 'Version in which the issue first appeared.'),
  column(
    'last_seen_version',
    'string',
    'Latest version with the error; for a regression, the regressing release.',
  ),
  column('case_key', 'string', 'Attached case key.'),
  column('case_priority', 'string', 'Attached case priority.'),
  column('team_names', 'string_list', 'Owning team names.'),
  column('run_id', 'string', 'Run that detected the change.'),
] as const satisfies readonly ColumnDefinition[];

type ColumnName = (typeof ISSUE_COLUMNS)[number]['name'];
// Compile-time proof that the column list and the row type name the same fields.
type MissingFromRow = Exclude<ColumnName, keyof IssueRow>;
type MissingFromColumns = Exclude<keyof IssueRow, ColumnName>;
const schemaAgrees: [MissingFromRow, MissingFromColumns] extends [never, never] ? true : never = true;
void schemaAgrees;
