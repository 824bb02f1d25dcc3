import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/errors';
import { buildEvents, DEFAULT_EVENT_SOURCE, eventEntrySize, MAX_EVENT_BYTES } from '../../lib/events/build';
import { truncateUtf8 } from '../../lib/events/size';
import type { StateChange } from '../../lib/state/changes';

const OBSERVED_AT = Date.UTC(2025, 0, 2, 3, 4, 5);

function sampleChange(overrides: Partial<StateChange> = {}): StateChange {
  return {
    event_id: '11111111-2222-3333-4444-555555555555',
    kind: 'regressed',
    issue_id: 'c1a7e6d0-0000-4000-8000-000000000001',
    service: 'checkout',
    previous_state: 'RESOLVED',
    state: 'OPEN',
    previous_assignee_id: null,
    assignee_id: 'user-1',
    observed_at: OBSERVED_AT,
    previous_observed_at: Date.UTC(2024, 11, 30),
    state_version: 4,
    seen_in_search: true,
    run_id: 'run-7',
    attributes: {
      error_type: 'TypeError',
      error_message: 'Cannot read properties of undefined',
      assignee_handle: 'ana',
      assignee_email: 'ana@example.com',
      assignee_name: 'Ana',
      case_key: 'ET-12',
      case_title: 'Checkout fails',
      team_names: ['payments', null],
      first_seen_version: '1.0.0',
      last_seen_version: '1.4.2',
    },
    ...overrides,
  };
}

describe('buildEvents', () => {
  it('builds the detail, detail type, time and issue link', () => {
    const [event] = buildEvents([sampleChange()], { site: 'datadoghq.eu' });
    const url = 'https://app.datadoghq.eu/error-tracking/issue/c1a7e6d0-0000-4000-8000-000000000001';
    expect(event).toEqual({
      id: '11111111-2222-3333-4444-555555555555',
      source: DEFAULT_EVENT_SOURCE,
      detailType: 'Issue Regressed',
      time: new Date(OBSERVED_AT),
      resources: [url],
      detail: {
        event_id: '11111111-2222-3333-4444-555555555555',
        change: 'regressed',
        issue_id: 'c1a7e6d0-0000-4000-8000-000000000001',
        service: 'checkout',
        previous_state: 'RESOLVED',
        state: 'OPEN',
        observed_at: '2025-01-02T03:04:05.000Z',
        previous_observed_at: '2024-12-30T00:00:00.000Z',
        state_version: 4,
        error_type: 'TypeError',
        error_message: 'Cannot read properties of undefined',
        assignee: { id: 'user-1', handle: 'ana', email: 'ana@example.com', name: 'Ana' },
        previous_assignee_id: null,
        case: { key: 'ET-12', title: 'Checkout fails' },
        team_names: ['payments', null],
        first_seen_version: '1.0.0',
        last_seen_version: '1.4.2',
        seen_in_search: true,
        run_id: 'run-7',
        site: 'datadoghq.eu',
        url,
      },
    });
    expect(DEFAULT_EVENT_SOURCE).toBe('error-tracking-export');
  });

  it('maps each change kind to its detail type and drops kinds that are not enabled', () => {
    const kinds = ['state_changed', 'regressed', 'new_issue', 'assignee_changed'] as const;
    const changes = kinds.map((kind) => sampleChange({ kind }));
    expect(buildEvents(changes).map((event) => event.detailType)).toEqual([
      'Issue State Changed',
      'Issue Regressed',
      'New Issue',
      'Issue Assignee Changed',
    ]);
    expect(
      buildEvents(changes, { enabledKinds: ['regressed', 'new_issue'] }).map((event) => event.detail.change),
    ).toEqual(['regressed', 'new_issue']);
  });

  it('uses an explicit app URL and a custom source, and has no link without either', () => {
    const [linked] = buildEvents([sampleChange()], {
      appBaseUrl: 'http://127.0.0.1:9000/',
      source: 'acme.errors',
    });
    expect(linked?.detail.url).toBe(
      'http://127.0.0.1:9000/error-tracking/issue/c1a7e6d0-0000-4000-8000-000000000001',
    );
    expect(linked?.source).toBe('acme.errors');
    const [unlinked] = buildEvents([sampleChange()]);
    expect(unlinked?.detail.url).toBeNull();
    expect(unlinked?.resources).toEqual([]);
  });

  it.each(['aws.events', 'AWS.custom', ''])('rejects the source %j', (source) => {
    expect(() => buildEvents([sampleChange()], { source })).toThrow(ConfigError);
  });

  it('has null assignee and case when the issue has none', () => {
    const [event] = buildEvents([
      sampleChange({ assignee_id: null, attributes: { error_type: 'E', error_message: null } }),
    ]);
    expect(event?.detail).toMatchObject({ assignee: null, case: null, team_names: [], error_message: null });
    expect(event?.detail.error_message_truncated).toBeUndefined();
  });

  it('truncates a long error message and marks it', () => {
    const [event] = buildEvents([sampleChange({ attributes: { error_message: 'x'.repeat(20_000) } })]);
    expect(event?.detail.error_message_truncated).toBe(true);
    expect(Buffer.byteLength(event?.detail.error_message ?? '', 'utf8')).toBeLessThanOrEqual(8 * 1024);
    expect(event?.detail.error_message?.endsWith('…')).toBe(true);
    const [small] = buildEvents([sampleChange({ attributes: { error_message: 'x'.repeat(20_000) } })], {
      maxErrorMessageBytes: 100,
    });
    expect(small?.detail.error_message).toBe(`${'x'.repeat(97)}…`);
  });

  it('keeps an entry under the event cap even with a huge message of escaped and multi-byte characters', () => {
    const message = '\u0001é漢🙂'.repeat(100_000);
    const [event] = buildEvents([sampleChange({ attributes: { error_message: message } })], {
      maxErrorMessageBytes: 1_000_000,
    });
    expect(event).toBeDefined();
    expect(eventEntrySize(event!)).toBeLessThanOrEqual(MAX_EVENT_BYTES);
    expect(eventEntrySize(event!)).toBeGreaterThan(MAX_EVENT_BYTES - 1024);
    expect(event?.detail.error_message).not.toContain('\uFFFD');
  });
});

describe('issue links and truncateUtf8', () => {
  it.each([
    ['datadoghq.com', 'https://app.datadoghq.com'],
    ['us5.datadoghq.com', 'https://us5.datadoghq.com'],
    ['ddog-gov.com', 'https://app.ddog-gov.com'],
  ])('links issues of site %s to %s', (site, origin) => {
    const [event] = buildEvents([sampleChange()], { site });
    expect(event?.detail.url).toBe(`${origin}/error-tracking/issue/c1a7e6d0-0000-4000-8000-000000000001`);
  });

  it('cuts at a character boundary', () => {
    expect(truncateUtf8('aé漢', 4)).toEqual({ text: 'aé', truncated: true });
    expect(truncateUtf8('aé漢', 6)).toEqual({ text: 'aé漢', truncated: false });
  });
});
