/**
 * Stored form of a state document: columnar JSON (one array per field) compressed with gzip.
 *
 * Columns keep 200k issues fast to parse (a few large arrays instead of 200k small objects), and the
 * repeated strings (states, services, assignee ids) go through one dictionary so gzip sees small integers.
 * Timestamps other than `last_checked_at` are stored as offsets from it, which are mostly 0 or small.
 */

import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { STATE_FORMAT_VERSION, type StateDocument, StateFormatError, type TrackedIssue } from './document';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

const NO_VALUE = -1;

interface EncodedState {
  format_version: number;
  watermark: number | null;
  sequence: number;
  baseline_done: boolean;
  /** Distinct values of `state`, `assignee_id` and `service`; those columns hold indexes, -1 for null. */
  values: string[];
  issue_id: string[];
  state: number[];
  assignee_id: number[];
  service: number[];
  last_checked_at: number[];
  /** `last_checked_at - last_seen_at`, or null. */
  last_seen_offset: Array<number | null>;
  /** `last_checked_at - state_observed_at`. */
  state_observed_offset: number[];
  state_version: number[];
}

export async function encodeStateDocument(document: StateDocument): Promise<Uint8Array> {
  const valueIndexes = new Map<string, number>();
  const values: string[] = [];
  const indexOf = (value: string | null): number => {
    if (value === null) return NO_VALUE;
    let index = valueIndexes.get(value);
    if (index === undefined) {
      index = values.length;
      values.push(value);
      valueIndexes.set(value, index);
    }
    return index;
  };
  const count = document.issues.size;
  const encoded: EncodedState = {
    format_version: STATE_FORMAT_VERSION,
    watermark: document.watermark,
    sequence: document.sequence,
    baseline_done: document.baseline_done,
    values,
    issue_id: new Array(count),
    state: new Array(count),
    assignee_id: new Array(count),
    service: new Array(count),
    last_checked_at: new Array(count),
    last_seen_offset: new Array(count),
    state_observed_offset: new Array(count),
    state_version: new Array(count),
  };
  let row = 0;
  for (const issue of document.issues.values()) {
    encoded.issue_id[row] = issue.issue_id;
    encoded.state[row] = indexOf(issue.state);
    encoded.assignee_id[row] = indexOf(issue.assignee_id);
    encoded.service[row] = indexOf(issue.service);
    encoded.last_checked_at[row] = issue.last_checked_at;
    encoded.last_seen_offset[row] =
      issue.last_seen_at === null ? null : issue.last_checked_at - issue.last_seen_at;
    encoded.state_observed_offset[row] = issue.last_checked_at - issue.state_observed_at;
    encoded.state_version[row] = issue.state_version;
    row++;
  }
  return new Uint8Array(await gzipAsync(JSON.stringify(encoded), { level: 1 }));
}

/** `location` only names the source in errors. */
export async function decodeStateDocument(bytes: Uint8Array, location: string): Promise<StateDocument> {
  let encoded: EncodedState;
  try {
    encoded = JSON.parse((await gunzipAsync(bytes)).toString('utf8')) as EncodedState;
  } catch (error) {
    throw new StateFormatError(location, `not gzip-compressed JSON: ${(error as Error).message}`);
  }
  if (typeof encoded !== 'object' || encoded === null || typeof encoded.format_version !== 'number') {
    throw new StateFormatError(location, 'no format_version');
  }
  if (encoded.format_version > STATE_FORMAT_VERSION) {
    throw new StateFormatError(
      location,
      `format_version ${encoded.format_version} was written by a newer exporter; this one reads up to ${STATE_FORMAT_VERSION}`,
    );
  }
  const count = Array.isArray(encoded.issue_id) ? encoded.issue_id.length : -1;
  const columns = [
    encoded.state,
    encoded.assignee_id,
    encoded.service,
    encoded.last_checked_at,
    encoded.last_seen_offset,
    encoded.state_observed_offset,
    encoded.state_version,
  ];
  if (
    count < 0 ||
    !Array.isArray(encoded.values) ||
    columns.some((column) => !Array.isArray(column) || column.length !== count)
  ) {
    throw new StateFormatError(location, 'issue columns are missing or have different lengths');
  }
  const values = encoded.values;
  const valueAt = (index: number): string | null => (index === NO_VALUE ? null : (values[index] ?? null));
  const issues = new Map<string, TrackedIssue>();
  for (let row = 0; row < count; row++) {
    const issueId = encoded.issue_id[row]!;
    const lastCheckedAt = encoded.last_checked_at[row]!;
    const lastSeenOffset = encoded.last_seen_offset[row];
    issues.set(issueId, {
      issue_id: issueId,
      state: valueAt(encoded.state[row]!),
      assignee_id: valueAt(encoded.assignee_id[row]!),
      service: valueAt(encoded.service[row]!),
      last_seen_at:
        lastSeenOffset === null || lastSeenOffset === undefined ? null : lastCheckedAt - lastSeenOffset,
      last_checked_at: lastCheckedAt,
      state_version: encoded.state_version[row]!,
      state_observed_at: lastCheckedAt - encoded.state_observed_offset[row]!,
    });
  }
  return {
    format_version: STATE_FORMAT_VERSION,
    watermark: encoded.watermark ?? null,
    sequence: encoded.sequence ?? 0,
    baseline_done: encoded.baseline_done === true,
    issues,
  };
}
