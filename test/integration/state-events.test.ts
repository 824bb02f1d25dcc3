import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEventBridgePublisher, createNdjsonEventSink, type EventSink } from '../../lib/events';
import type { RunManifest } from '../../lib/pipeline';
import {
  createLocalStateStore,
  createS3StateStore,
  StateConflictError,
  type StateStore,
} from '../../lib/state';
import type { CommitStage, StateTrackingOptions } from '../../lib/state-tracking';
import { runQuery } from '../../lib/warehouse/duckdb';
import { startEventBridgeServer } from '../support/eventbridge-server';
import { type Harness, HOUR, startHarness } from '../support/harness';
import { startS3rver } from '../support/s3rver';

interface DeliveredLine {
  id: string;
  'detail-type': string;
  source: string;
  detail: { issue_id: string; previous_state: string | null; state: string | null; event_id: string };
}

let harness: Harness;
let workDir: string;
let eventsFile: string;
let store: StateStore;

beforeEach(async () => {
  harness = await startHarness({ distribution: 'uniform', issues: 300, services: 6, seed: 21 });
  workDir = await mkdtemp(join(tmpdir(), 'ete-state-'));
  eventsFile = join(workDir, 'events.ndjson');
  store = createLocalStateStore(join(workDir, 'state'));
});
afterEach(async () => {
  await harness.close();
  await rm(workDir, { recursive: true, force: true });
});

async function deliveredEvents(): Promise<DeliveredLine[]> {
  const text = await readFile(eventsFile, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as DeliveredLine);
}

function tracking(
  overrides: Partial<StateTrackingOptions> = {},
  events: EventSink = createNdjsonEventSink(eventsFile),
) {
  return {
    store,
    events,
    eventOptions: { site: 'datadoghq.com' },
    recheckMaxAgeMs: 0,
    recheckBudget: 10_000,
    ...overrides,
  } satisfies StateTrackingOptions;
}

/** Exports only the org's last hour, so issues without errors in it are quiet and need a re-check. */
function exportLastHour(stateTracking: StateTrackingOptions): Promise<RunManifest> {
  const { to } = harness.simulator.org;
  return harness.export({ from: to - HOUR, to }, {}, { stateTracking });
}

function activeInLastHour(): Set<string> {
  const { to } = harness.simulator.org;
  return new Set(
    harness.simulator.groundTruth({ from: to - HOUR, to, bucketMs: HOUR }).map((entry) => entry.issueId),
  );
}

function pickIssues(
  count: number,
  predicate: (issue: Harness['simulator']['org']['issues'][number]) => boolean,
) {
  const picked = harness.simulator.org.issues.filter(predicate).slice(0, count);
  expect(picked).toHaveLength(count);
  return picked;
}

describe('issue state history and change events', () => {
  it('records a silent baseline, then emits exactly one event per change for active and quiet issues', async () => {
    const baseline = await harness.export({}, {}, { stateTracking: tracking() });
    expect(baseline.state).toMatchObject({ baseline: true, events_published: 0, sequence: 1 });
    expect(baseline.state?.tracked_issues).toBeGreaterThan(200);
    expect(baseline.state?.watermark).toBe(new Date(harness.simulator.org.to).toISOString());
    expect(await deliveredEvents()).toEqual([]);

    const identical = await harness.export({}, {}, { stateTracking: tracking() });
    expect(identical.state?.events_published).toBe(0);
    expect(Object.values(identical.state?.changes ?? {}).every((count) => count === 0)).toBe(true);

    const active = activeInLastHour();
    const { to } = harness.simulator.org;
    const withErrors = pickIssues(5, (issue) => active.has(issue.id) && issue.state === 'OPEN');
    const quiet = pickIssues(5, (issue) => !active.has(issue.id) && issue.state === 'OPEN');
    for (const issue of withErrors) {
      harness.simulator.setIssueState(issue.id, 'ACKNOWLEDGED');
      harness.simulator.addOccurrences(issue.id, [to - 60_000]);
    }
    for (const issue of quiet) harness.simulator.setIssueState(issue.id, 'RESOLVED');

    const changed = await exportLastHour(tracking());
    const events = await deliveredEvents();
    const stateChanges = events.filter((event) => event['detail-type'] === 'Issue State Changed');
    expect(stateChanges).toHaveLength(10);
    expect(events).toHaveLength(10);
    const byIssue = new Map(stateChanges.map((event) => [event.detail.issue_id, event.detail]));
    for (const issue of withErrors)
      expect(byIssue.get(issue.id)).toMatchObject({ previous_state: 'OPEN', state: 'ACKNOWLEDGED' });
    for (const issue of quiet)
      expect(byIssue.get(issue.id)).toMatchObject({ previous_state: 'OPEN', state: 'RESOLVED' });
    expect(changed.state?.rechecked).toBeGreaterThanOrEqual(5);
    expect(
      events.every((event) => event.id === event.detail.event_id && event.source === 'error-tracking-export'),
    ).toBe(true);

    const warehouse = await harness.warehouse();
    const history = (
      await runQuery(
        warehouse.connection,
        'SELECT issue_id, previous_state, state, event_id, run_id FROM issue_state_changes',
      )
    ).rows;
    expect(history).toHaveLength(10);
    expect(new Set(history.map((row) => row.event_id))).toEqual(new Set(events.map((event) => event.id)));
    expect(history.every((row) => row.run_id === changed.run_id)).toBe(true);

    const again = await exportLastHour(tracking());
    expect(again.state?.events_published).toBe(0);
    expect(await deliveredEvents()).toHaveLength(10);
  });

  it('stops tracking a purged issue once it has been out of searches long enough', async () => {
    await harness.export({}, {}, { stateTracking: tracking() });
    const active = activeInLastHour();
    const [purged] = pickIssues(1, (issue) => !active.has(issue.id) && issue.state === 'OPEN');
    harness.simulator.purgeIssue(purged!.id);

    const recent = await exportLastHour(tracking());
    expect(recent.state).toMatchObject({ recheck_not_found: 1, forgotten: 0 });
    const forgotten = await exportLastHour(tracking({ forgetNotFoundAfterMs: 0 }));
    expect(forgotten.state).toMatchObject({ recheck_not_found: 1, forgotten: 1 });
    expect(forgotten.state?.tracked_issues).toBe((recent.state?.tracked_issues ?? 0) - 1);
    const after = await exportLastHour(tracking({ forgetNotFoundAfterMs: 0 }));
    expect(after.state).toMatchObject({ recheck_not_found: 0, forgotten: 0, events_published: 0 });
  });

  it('announces issues first seen after the baseline as new', async () => {
    const { from, to } = harness.simulator.org;
    await harness.export({ from, to: to - HOUR }, {}, { stateTracking: tracking() });
    const earlier = new Set(
      harness.simulator.groundTruth({ from, to: to - HOUR, bucketMs: HOUR }).map((entry) => entry.issueId),
    );
    const newcomers = [...activeInLastHour()].filter((issueId) => !earlier.has(issueId)).sort();
    expect(newcomers.length).toBeGreaterThan(0);
    await exportLastHour(tracking());
    const announced = (await deliveredEvents()).filter((event) => event['detail-type'] === 'New Issue');
    expect(announced.map((event) => event.detail.issue_id).sort()).toEqual(newcomers);
    expect(announced.every((event) => event.detail.previous_state === null)).toBe(true);
  });

  it('keeps the baseline open until a run finishes its range, so catching up announces nothing', async () => {
    let clock = Date.now();
    const stopping = await harness.export(
      { stopStartingBucketsAt: clock + 3 },
      {},
      { now: () => (clock += 1), stateTracking: tracking() },
    );
    expect(stopping.status).toBe('stopped');
    expect(stopping.buckets.exported).toBe(1);
    expect(stopping.state?.baseline).toBe(true);
    const catchingUp = await harness.export({}, {}, { stateTracking: tracking() });
    expect(catchingUp.state?.baseline).toBe(true);
    expect(await deliveredEvents()).toEqual([]);
    const after = await exportLastHour(tracking());
    expect(after.state?.baseline).toBe(false);
  });

  it('emits a regression and an assignee change', async () => {
    const resolved = pickIssues(
      1,
      (issue) => issue.state === 'RESOLVED' && !activeInLastHour().has(issue.id),
    )[0]!;
    const reassigned = pickIssues(
      1,
      (issue) => issue.state === 'OPEN' && activeInLastHour().has(issue.id),
    )[0]!;
    await harness.export({}, {}, { stateTracking: tracking() });

    const { to } = harness.simulator.org;
    harness.simulator.addOccurrences(resolved.id, [to - 120_000]);
    const otherUser = [...harness.simulator.org.users.keys()].find((id) => id !== reassigned.assigneeId)!;
    harness.simulator.setIssueAssignee(reassigned.id, otherUser);
    await exportLastHour(tracking());

    const events = await deliveredEvents();
    const types = events
      .filter((event) => event.detail.issue_id === resolved.id)
      .map((event) => event['detail-type']);
    expect(types.sort()).toEqual(['Issue Regressed', 'Issue State Changed']);
    expect(events.find((event) => event['detail-type'] === 'Issue Regressed')?.detail).toMatchObject({
      previous_state: 'RESOLVED',
      state: 'OPEN',
    });
    expect(
      events
        .filter((event) => event['detail-type'] === 'Issue Assignee Changed')
        .map((event) => event.detail.issue_id),
    ).toEqual([reassigned.id]);
  });

  it.each<CommitStage>(['parquet-written', 'events-published'])(
    'a crash after %s loses nothing and re-publishes only with the same ids',
    async (stage) => {
      await harness.export({}, {}, { stateTracking: tracking() });
      const changedIssues = pickIssues(3, (issue) => issue.state === 'OPEN');
      for (const issue of changedIssues) harness.simulator.setIssueState(issue.id, 'IGNORED');

      const crash = tracking({
        onStage: (reached) => {
          if (reached === stage) throw new Error(`injected crash after ${stage}`);
        },
      });
      await expect(exportLastHour(crash)).rejects.toThrow('injected crash');
      const beforeRetry = await deliveredEvents();
      expect(beforeRetry).toHaveLength(stage === 'events-published' ? 3 : 0);

      await exportLastHour(tracking());
      const events = await deliveredEvents();
      expect(events.map((event) => event.detail.issue_id).sort()).toEqual(
        changedIssues.map((issue) => issue.id).sort(),
      );
      for (const event of beforeRetry) expect(events.map((delivered) => delivered.id)).toContain(event.id);

      const warehouse = await harness.warehouse();
      const history = (await runQuery(warehouse.connection, 'SELECT event_id FROM issue_state_changes')).rows;
      expect(history.map((row) => row.event_id).sort()).toEqual(events.map((event) => event.id).sort());
    },
  );

  it('publishes to EventBridge through the real SDK client, retrying only rejected entries', async () => {
    const server = await startEventBridgeServer();
    try {
      await harness.export(
        {},
        {},
        {
          stateTracking: tracking(
            {},
            createEventBridgePublisher({ client: server.client, eventBusName: 'issues' }),
          ),
        },
      );
      const changedIssues = pickIssues(4, (issue) => issue.state === 'OPEN');
      for (const issue of changedIssues) harness.simulator.setIssueState(issue.id, 'ACKNOWLEDGED');
      let rejected = false;
      server.setRejectEntry((entry) => {
        if (rejected || !String(entry.Detail).includes(changedIssues[0]!.id)) return undefined;
        rejected = true;
        return { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' };
      });
      const manifest = await exportLastHour(
        tracking(
          {},
          createEventBridgePublisher({ client: server.client, eventBusName: 'issues', baseDelayMs: 1 }),
        ),
      );
      expect(manifest.state?.events_published).toBe(4);
      const accepted = server.accepted.map((entry) => JSON.parse(String(entry.Detail)).issue_id as string);
      expect(accepted.sort()).toEqual(changedIssues.map((issue) => issue.id).sort());
      expect(server.requests.length).toBe(2);
    } finally {
      await server.close();
    }
  });

  it('lets exactly one of two overlapping runs commit an S3 state', async () => {
    const s3 = await startS3rver(['state']);
    try {
      const s3Store = createS3StateStore({ client: s3.client, bucket: 'state', prefix: 'team-a' });
      await harness.export({}, {}, { stateTracking: tracking({ store: s3Store }) });
      const loaded = await s3Store.load();
      expect(loaded.document.baseline_done).toBe(true);
      expect(loaded.document.issues.size).toBeGreaterThan(200);
    } finally {
      await s3.close();
    }
    const first = createConditionalStore();
    await harness.export({}, {}, { stateTracking: tracking({ store: first }) });
    const results = await Promise.allSettled([
      exportLastHour(tracking({ store: first })),
      exportLastHour(tracking({ store: first })),
    ]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const failure = results.find((result) => result.status === 'rejected') as PromiseRejectedResult;
    expect(failure.reason).toBeInstanceOf(StateConflictError);
  });
});

/** A state store over an in-memory S3 that enforces If-Match / If-None-Match, as S3 does and s3rver does not. */
function createConditionalStore(): StateStore {
  const objects = new Map<string, { body: Uint8Array; etag: string }>();
  let version = 0;
  const client = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const key = String(command.input.Key);
      const existing = objects.get(key);
      if (command.constructor.name === 'GetObjectCommand') {
        if (!existing)
          throw Object.assign(new Error('NoSuchKey'), {
            name: 'NoSuchKey',
            $metadata: { httpStatusCode: 404 },
          });
        return { Body: { transformToByteArray: async () => existing.body }, ETag: existing.etag };
      }
      if (command.constructor.name === 'PutObjectCommand') {
        const precondition =
          (command.input.IfNoneMatch === '*' && existing) ||
          (command.input.IfMatch !== undefined && command.input.IfMatch !== existing?.etag);
        if (precondition) {
          throw Object.assign(new Error('PreconditionFailed'), {
            name: 'PreconditionFailed',
            $metadata: { httpStatusCode: 412 },
          });
        }
        version += 1;
        const etag = `"v${version}"`;
        objects.set(key, { body: command.input.Body as Uint8Array, etag });
        return { ETag: etag };
      }
      throw new Error(`unexpected command ${command.constructor.name}`);
    },
  };
  return createS3StateStore({ client: client as never, bucket: 'state', prefix: 'conditional' });
}
