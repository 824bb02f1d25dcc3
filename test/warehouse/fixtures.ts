/** Shared helpers for the warehouse tests: complete issue rows and a DuckDB connection to read files back. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { IssueRow } from '../../lib/warehouse/schema';

export const BUCKET_START = Date.UTC(2026, 0, 15, 13, 0, 0);
export const HOUR_MS = 3_600_000;

export function issueRow(overrides: Partial<IssueRow> = {}): IssueRow {
  return {
    issue_id: '5e1f2d3c-0000-4000-8000-000000000001',
    service: 'checkout-api',
    state: 'OPEN',
    error_type: 'builtins.TypeError',
    error_message: "unsupported operand type(s) for +: 'int' and 'str'",
    file_path: 'app/cart.py',
    function_name: 'add_item',
    platform: 'BACKEND',
    languages: ['python'],
    is_crash: false,
    first_seen: Date.UTC(2025, 11, 1, 8, 30, 15, 123),
    last_seen: Date.UTC(2026, 0, 15, 13, 59, 59, 999),
    first_seen_version: 'v1.2.0',
    last_seen_version: 'v1.4.2',
    regressed_at: null,
    regressed_at_version: null,
    total_count: 42,
    impacted_users: 7,
    impacted_sessions: 9,
    impacted_counts_exact: true,
    bucket_complete: true,
    window_start: BUCKET_START,
    window_end: BUCKET_START + HOUR_MS,
    track: null,
    persona: 'ALL',
    assignee_id: null,
    assignee_email: null,
    assignee_handle: null,
    assignee_name: null,
    case_id: null,
    case_key: null,
    case_title: null,
    case_status: null,
    case_priority: null,
    case_jira_issue_key: null,
    team_ids: [],
    team_handles: [],
    team_names: [],
    raw_attributes: null,
    exported_at: Date.UTC(2026, 0, 15, 14, 5, 0),
    run_id: 'run-test',
    ...overrides,
  };
}

export async function temporaryDirectory(): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'warehouse-test-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export async function openDuckDB(): Promise<{ connection: DuckDBConnection; close: () => void }> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  return {
    connection,
    close: () => {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

export async function queryRows(
  connection: DuckDBConnection,
  sql: string,
): Promise<Record<string, unknown>[]> {
  return (await connection.runAndReadAll(sql)).getRowObjectsJS();
}

export function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
