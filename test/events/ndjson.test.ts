import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildEvents } from '../../lib/events/build';
import { createNdjsonEventSink } from '../../lib/events/ndjson';
import { detectChanges, type IssueObservation } from '../../lib/state/changes';
import { createEmptyStateDocument } from '../../lib/state/document';

const T0 = Date.UTC(2025, 0, 1);
const HOUR = 3_600_000;

const observe = (issueId: string, state: string): IssueObservation => ({
  issue_id: issueId,
  state,
  assignee_id: null,
  service: 'checkout',
  seen_in_search: true,
  attributes: { error_type: 'TypeError', error_message: 'boom' },
});

/** Baseline then a run with one regression and one new issue: three events. */
function eventsOfOneRun() {
  const baseline = detectChanges(createEmptyStateDocument(), [observe('a', 'RESOLVED')], {
    runId: 'run-0',
    observedAt: T0,
  }).next;
  const { changes } = detectChanges(baseline, [observe('a', 'OPEN'), observe('b', 'OPEN')], {
    runId: 'run-1',
    observedAt: T0 + HOUR + 123,
  });
  return buildEvents(changes, { site: 'datadoghq.com' });
}

describe('NDJSON event sink', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'events-ndjson-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  const readLines = async (filePath: string) =>
    (await readFile(filePath, 'utf8'))
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line));

  it('writes one line per event shaped as a rule target receives it', async () => {
    const filePath = path.join(directory, 'nested', 'events.ndjson');
    const events = eventsOfOneRun();
    expect(await createNdjsonEventSink(filePath).publish(events)).toEqual({ published: 3 });
    const lines = await readLines(filePath);
    expect(lines.map((line) => line['detail-type'])).toEqual([
      'Issue State Changed',
      'Issue Regressed',
      'New Issue',
    ]);
    expect(lines[1]).toEqual({
      version: '0',
      id: events[1]?.id,
      'detail-type': 'Issue Regressed',
      source: 'error-tracking-export',
      account: '000000000000',
      time: '2025-01-01T01:00:00Z',
      region: 'us-east-1',
      resources: ['https://app.datadoghq.com/error-tracking/issue/a'],
      detail: JSON.parse(JSON.stringify(events[1]?.detail)),
    });
    expect(lines[1].detail.event_id).toBe(lines[1].id);
  });

  it('does not append events a previous run already wrote', async () => {
    const filePath = path.join(directory, 'events.ndjson');
    const sink = createNdjsonEventSink(filePath, { account: '123456789012', region: 'eu-west-1' });
    const events = eventsOfOneRun();
    expect(await sink.publish(events.slice(0, 2))).toEqual({ published: 2 });
    expect(await sink.publish(eventsOfOneRun())).toEqual({ published: 1 });
    expect(await sink.publish(eventsOfOneRun())).toEqual({ published: 0 });
    const lines = await readLines(filePath);
    expect(lines.map((line) => line.id)).toEqual(events.map((event) => event.id));
    expect(lines[0]).toMatchObject({ account: '123456789012', region: 'eu-west-1' });
  });

  it('starts a new line after a line cut short by a crash and writes that event again', async () => {
    const filePath = path.join(directory, 'events.ndjson');
    const events = eventsOfOneRun();
    await createNdjsonEventSink(filePath).publish(events.slice(0, 1));
    const complete = await readFile(filePath, 'utf8');
    await writeFile(filePath, `${complete}{"version":"0","id":"${events[1]?.id}","det`);
    expect(await createNdjsonEventSink(filePath).publish(events)).toEqual({ published: 2 });
    const text = await readFile(filePath, 'utf8');
    const parsed = text
      .split('\n')
      .filter((line) => line !== '')
      .flatMap((line) => {
        try {
          return [JSON.parse(line).id];
        } catch {
          return [];
        }
      });
    expect(parsed).toEqual(events.map((event) => event.id));
  });
});
