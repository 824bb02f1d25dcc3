import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildEvents } from '../../lib/events/build';
import { batchEntries, createEventBridgePublisher, EventPublishError } from '../../lib/events/eventbridge';
import { putEventsEntrySize } from '../../lib/events/size';
import type { IssueEvent } from '../../lib/events/types';
import { computeEventId, type StateChange } from '../../lib/state/changes';
import {
  failFirstAttempts,
  type RunningEventBridgeServer,
  startEventBridgeServer,
} from '../support/eventbridge-server';

const OBSERVED_AT = Date.UTC(2025, 0, 2, 3, 4, 5);

function makeEvents(count: number, errorMessage = 'boom'): IssueEvent[] {
  const changes = Array.from(
    { length: count },
    (_, index): StateChange => ({
      event_id: computeEventId(`issue-${index}`, 'state_changed', 'OPEN', 'RESOLVED', 1),
      kind: 'state_changed',
      issue_id: `issue-${index}`,
      service: 'checkout',
      previous_state: 'OPEN',
      state: 'RESOLVED',
      previous_assignee_id: null,
      assignee_id: null,
      observed_at: OBSERVED_AT,
      previous_observed_at: OBSERVED_AT - 86_400_000,
      state_version: 2,
      seen_in_search: false,
      run_id: 'run-1',
      attributes: { error_type: 'TypeError', error_message: errorMessage },
    }),
  );
  return buildEvents(changes, { site: 'datadoghq.com', maxErrorMessageBytes: 60_000 });
}

const detailOf = (entry: { Detail?: string }) => JSON.parse(entry.Detail ?? '{}');
const noWait = async () => {};

describe('EventBridge publisher', () => {
  let server: RunningEventBridgeServer;
  beforeEach(async () => {
    server = await startEventBridgeServer();
  });
  afterEach(async () => {
    await server.close();
  });

  it('sends AWS JSON 1.1 PutEvents with the bus, detail, link and time', async () => {
    const publisher = createEventBridgePublisher({
      client: server.client,
      eventBusName: 'errors-bus',
      sleep: noWait,
    });
    const events = makeEvents(1);
    expect(await publisher.publish(events)).toEqual({ published: 1 });
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.contentType).toBe('application/x-amz-json-1.1');
    const [entry] = server.accepted;
    expect(entry).toMatchObject({
      EventBusName: 'errors-bus',
      Source: 'error-tracking-export',
      DetailType: 'Issue State Changed',
      Resources: ['https://app.datadoghq.com/error-tracking/issue/issue-0'],
      Time: OBSERVED_AT / 1000,
    });
    expect(detailOf(entry!)).toMatchObject({
      event_id: events[0]?.id,
      issue_id: 'issue-0',
      state: 'RESOLVED',
    });
    expect(publisher.target).toBe('eventbridge:errors-bus');
  });

  it('sends at most 10 entries per request', async () => {
    const publisher = createEventBridgePublisher({
      client: server.client,
      eventBusName: 'bus',
      sleep: noWait,
    });
    expect(await publisher.publish(makeEvents(23))).toEqual({ published: 23 });
    expect(server.requests.map((request) => request.entries.length)).toEqual([10, 10, 3]);
    expect(server.accepted.map((entry) => detailOf(entry).issue_id)).toEqual(
      Array.from({ length: 23 }, (_, index) => `issue-${index}`),
    );
  });

  it('keeps every request within 256 KB as EventBridge counts it', async () => {
    const publisher = createEventBridgePublisher({
      client: server.client,
      eventBusName: 'bus',
      sleep: noWait,
    });
    const events = makeEvents(9, 'é'.repeat(25_000));
    expect(await publisher.publish(events)).toEqual({ published: 9 });
    const requestSizes = server.requests.map((request) =>
      request.entries.reduce(
        (total, entry) =>
          total +
          putEventsEntrySize({ ...entry, Time: entry.Time ? new Date(entry.Time * 1000) : undefined }),
        0,
      ),
    );
    expect(server.requests.length).toBeGreaterThan(1);
    expect(server.requests.every((request) => request.entries.length < 10)).toBe(true);
    expect(requestSizes.every((size) => size <= 256 * 1024)).toBe(true);
    expect(server.accepted).toHaveLength(9);
  });

  it('re-sends only the entries that failed, until they succeed', async () => {
    const events = makeEvents(12);
    const flakyIds = new Set([events[1]?.id, events[11]?.id]);
    server.setRejectEntry(
      failFirstAttempts((entry) => flakyIds.has(detailOf(entry).event_id), 2, {
        ErrorCode: 'ThrottlingException',
        ErrorMessage: 'Rate exceeded',
      }),
    );
    const delays: number[] = [];
    const publisher = createEventBridgePublisher({
      client: server.client,
      eventBusName: 'bus',
      baseDelayMs: 100,
      sleep: async (milliseconds) => {
        delays.push(milliseconds);
      },
    });
    expect(await publisher.publish(events)).toEqual({ published: 12 });
    expect(
      server.requests.map((request) => request.entries.map((entry) => detailOf(entry).issue_id)),
    ).toEqual([
      events.slice(0, 10).map((event) => event.detail.issue_id),
      ['issue-10', 'issue-11'],
      ['issue-1', 'issue-11'],
      ['issue-1', 'issue-11'],
    ]);
    expect(server.accepted).toHaveLength(12);
    expect(delays).toHaveLength(2);
    expect(delays[0]).toBeGreaterThanOrEqual(50);
    expect(delays[0]).toBeLessThanOrEqual(100);
    expect(delays[1]).toBeGreaterThanOrEqual(100);
    expect(delays[1]).toBeLessThanOrEqual(200);
  });

  it('gives up after maxAttempts and says how many failed and why', async () => {
    const events = makeEvents(3);
    server.setRejectEntry(
      failFirstAttempts((entry) => detailOf(entry).issue_id !== 'issue-0', 99, {
        ErrorCode: 'InternalFailure',
        ErrorMessage: 'Internal service error',
      }),
    );
    const publisher = createEventBridgePublisher({
      client: server.client,
      eventBusName: 'bus',
      maxAttempts: 3,
      sleep: noWait,
    });
    const error = await publisher.publish(events).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EventPublishError);
    expect((error as Error).message).toBe(
      'EventBridge rejected 2 of 3 events after up to 3 attempts: 2 InternalFailure (Internal service error). Re-run to send them again.',
    );
    expect((error as EventPublishError).published).toBe(1);
    expect((error as EventPublishError).failures.map((failure) => failure.eventId)).toEqual([
      events[1]?.id,
      events[2]?.id,
    ]);
    expect(server.requests.map((request) => request.entries.length)).toEqual([3, 2, 2]);
  });

  it('does not retry entries EventBridge rejects as invalid', async () => {
    server.setRejectEntry(() => ({ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' }));
    const publisher = createEventBridgePublisher({
      client: server.client,
      eventBusName: 'bus',
      sleep: noWait,
    });
    await expect(publisher.publish(makeEvents(2))).rejects.toThrow(
      /rejected 2 of 2 events.*2 MalformedDetail/,
    );
    expect(server.requests).toHaveLength(1);
  });

  it('reports a request the service refuses as one line naming the bus', async () => {
    server.setRequestError({
      status: 400,
      type: 'ResourceNotFoundException',
      message: 'Event bus missing-bus does not exist.',
    });
    const publisher = createEventBridgePublisher({
      client: server.client,
      eventBusName: 'missing-bus',
      sleep: noWait,
    });
    const error = await publisher.publish(makeEvents(2)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EventPublishError);
    expect((error as Error).message).toBe(
      'PutEvents to event bus missing-bus failed: ResourceNotFoundException: Event bus missing-bus does not exist.',
    );
    expect((error as EventPublishError).failures).toHaveLength(2);
  });

  it('sends nothing for no events', async () => {
    const publisher = createEventBridgePublisher({
      client: server.client,
      eventBusName: 'bus',
      sleep: noWait,
    });
    expect(await publisher.publish([])).toEqual({ published: 0 });
    expect(server.requests).toHaveLength(0);
  });
});

describe('batchEntries', () => {
  it('starts a new batch when the next entry would pass the byte limit', () => {
    const sizes = [...Array.from({ length: 11 }, () => 100), 200, 50, 300];
    const batches = batchEntries(
      sizes.map((size) => ({ size })),
      10,
      400,
    );
    expect(batches.map((batch) => batch.map((entry) => entry.size))).toEqual([
      [100, 100, 100, 100],
      [100, 100, 100, 100],
      [100, 100, 100],
      [200, 50],
      [300],
    ]);
  });

  it('starts a new batch at the entry count limit', () => {
    const batches = batchEntries(Array.from({ length: 12 }, () => ({ size: 1 })));
    expect(batches.map((batch) => batch.length)).toEqual([10, 2]);
  });
});
