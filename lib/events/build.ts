/** Turns detected state changes into events: detail type, detail body, link to the Datadog UI. */

import { appBaseUrl as appBaseUrlForSite } from '../datadog/sites';
import { ConfigError } from '../errors';
import { CHANGE_KINDS, type ChangeKind, type StateChange } from '../state/changes';
import { putEventsEntrySize, truncateUtf8Bytes } from './size';
import { DETAIL_TYPES, type IssueEvent, type IssueEventDetail } from './types';

export const DEFAULT_EVENT_SOURCE = 'error-tracking-export';
/** Cap for one event, well under the 256 KB PutEvents limit so a request still holds several events. */
export const MAX_EVENT_BYTES = 64 * 1024;
export const DEFAULT_MAX_ERROR_MESSAGE_BYTES = 8 * 1024;
const MAX_CASE_TITLE_BYTES = 1024;
const TRUNCATION_MARK = '…';

export interface BuildEventsOptions {
  /** Event source; must not start with `aws.`, which EventBridge reserves. */
  source?: string;
  /** Datadog site, such as `datadoghq.com` or `datadoghq.eu`. */
  site?: string | null;
  /** Datadog UI origin for issue links (a simulator URL, for instance); derived from `site` when omitted. */
  appBaseUrl?: string | null;
  /** Change kinds to emit; all by default. */
  enabledKinds?: readonly ChangeKind[];
  maxErrorMessageBytes?: number;
}

export function validateEventSource(source: string): string {
  if (source.length === 0 || source.length > 256) {
    throw new ConfigError(`Event source "${source}" must be 1 to 256 characters.`);
  }
  if (source.toLowerCase().startsWith('aws.')) {
    throw new ConfigError(
      `Event source "${source}" starts with "aws.", which EventBridge reserves: choose another.`,
    );
  }
  return source;
}

const toIso = (milliseconds: number) => new Date(milliseconds).toISOString();

export function buildEvents(changes: readonly StateChange[], options: BuildEventsOptions = {}): IssueEvent[] {
  const source = validateEventSource(options.source ?? DEFAULT_EVENT_SOURCE);
  const enabled = new Set<ChangeKind>(options.enabledKinds ?? CHANGE_KINDS);
  const site = options.site ?? null;
  const appBaseUrl = options.appBaseUrl ?? (site ? appBaseUrlForSite(site) : null);
  const maxErrorMessageBytes = options.maxErrorMessageBytes ?? DEFAULT_MAX_ERROR_MESSAGE_BYTES;

  return changes
    .filter((change) => enabled.has(change.kind))
    .map((change) => {
      const attributes = change.attributes;
      const url = appBaseUrl
        ? `${appBaseUrl.replace(/\/+$/, '')}/error-tracking/issue/${encodeURIComponent(change.issue_id)}`
        : null;
      const hasCase = Boolean(attributes.case_key || attributes.case_title);
      const detail: IssueEventDetail = {
        event_id: change.event_id,
        change: change.kind,
        issue_id: change.issue_id,
        service: change.service,
        previous_state: change.previous_state,
        state: change.state,
        observed_at: toIso(change.observed_at),
        previous_observed_at:
          change.previous_observed_at === null ? null : toIso(change.previous_observed_at),
        state_version: change.state_version,
        error_type: attributes.error_type ?? null,
        error_message: null,
        assignee: change.assignee_id
          ? {
              id: change.assignee_id,
              handle: attributes.assignee_handle ?? null,
              email: attributes.assignee_email ?? null,
              name: attributes.assignee_name ?? null,
            }
          : null,
        previous_assignee_id: change.previous_assignee_id,
        case: hasCase
          ? {
              key: attributes.case_key ?? null,
              title: attributes.case_title
                ? truncateWithMark(attributes.case_title, MAX_CASE_TITLE_BYTES).text
                : null,
            }
          : null,
        team_names: attributes.team_names ?? [],
        first_seen_version: attributes.first_seen_version ?? null,
        last_seen_version: attributes.last_seen_version ?? null,
        seen_in_search: change.seen_in_search,
        run_id: change.run_id,
        site,
        url,
      };
      const event: IssueEvent = {
        id: change.event_id,
        source,
        detailType: DETAIL_TYPES[change.kind],
        time: new Date(change.observed_at),
        resources: url ? [url] : [],
        detail,
      };
      const message = attributes.error_message ?? null;
      if (message !== null) {
        // The message is the one field without a natural bound: give it what the rest of the event leaves.
        const sizeWithoutMessage = eventEntrySize(event) + Buffer.byteLength(JSON.stringify(''), 'utf8');
        const budget = Math.min(maxErrorMessageBytes, MAX_EVENT_BYTES - sizeWithoutMessage - 64);
        const cut = truncateWithMark(message, Math.max(0, budget));
        detail.error_message = cut.text;
        if (cut.truncated) detail.error_message_truncated = true;
      }
      return event;
    });
}

/** Size of the PutEvents entry an event becomes. */
export function eventEntrySize(event: IssueEvent): number {
  return putEventsEntrySize({
    Source: event.source,
    DetailType: event.detailType,
    Detail: JSON.stringify(event.detail),
    Resources: event.resources,
    Time: event.time,
  });
}

/**
 * JSON escaping can grow a string (control characters become `\uXXXX`), so the byte budget is applied to
 * the escaped form: a binary search finds the longest prefix whose escaped form fits with the mark.
 */
function truncateWithMark(text: string, maxBytes: number): { text: string; truncated: boolean } {
  const escapedBytes = (value: string) => Buffer.byteLength(JSON.stringify(value), 'utf8') - 2;
  if (escapedBytes(text) <= maxBytes) return { text, truncated: false };
  const budget = Math.max(0, maxBytes - Buffer.byteLength(TRUNCATION_MARK, 'utf8'));
  const bytes = Buffer.from(text, 'utf8');
  let fits = '';
  let low = 0;
  let high = Math.min(bytes.length, budget);
  while (low <= high) {
    const middle = Math.floor((low + high) / 2);
    const candidate = truncateUtf8Bytes(bytes, middle);
    if (escapedBytes(candidate) <= budget) {
      fits = candidate;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return { text: `${fits}${TRUNCATION_MARK}`, truncated: true };
}
