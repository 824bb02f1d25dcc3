/**
 * Publishes events with EventBridge PutEvents: requests of at most 10 entries and 256 KB, and only the
 * entries EventBridge reports as failed are sent again, with exponential backoff.
 *
 * EventBridge gives every accepted event its own id; the exporter's deterministic id travels in
 * `detail.event_id`, and `Resources` holds the Datadog link to the issue.
 */

import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
  type PutEventsResultEntry,
} from '@aws-sdk/client-eventbridge';
import { PUT_EVENTS_MAX_ENTRIES, PUT_EVENTS_MAX_REQUEST_BYTES, putEventsEntrySize } from './size';
import type { EventSink, IssueEvent } from './types';

/** Only `send` is used. */
export type EventBridgeSendClient = Pick<EventBridgeClient, 'send'>;

export interface EventBridgePublisherOptions {
  client: EventBridgeSendClient;
  /** Bus name or ARN. */
  eventBusName: string;
  /** Attempts per entry, the first included. */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Injected so tests do not wait. */
  sleep?: (milliseconds: number) => Promise<void>;
}

/** Per-entry error codes that another attempt cannot fix. */
const PERMANENT_ERROR_CODES = new Set([
  'ValidationException',
  'MalformedDetail',
  'InvalidArgument',
  'AccessDeniedException',
  'NotAuthorizedForSourceException',
  'NotAuthorizedForDetailTypeException',
]);

export interface FailedEvent {
  eventId: string;
  errorCode: string;
  errorMessage: string;
}

export class EventPublishError extends Error {
  readonly failures: FailedEvent[];
  readonly published: number;
  constructor(message: string, failures: FailedEvent[], published: number) {
    super(message);
    this.name = new.target.name;
    this.failures = failures;
    this.published = published;
  }
}

interface PendingEntry {
  eventId: string;
  entry: PutEventsRequestEntry;
  size: number;
}

export function toPutEventsEntry(event: IssueEvent, eventBusName: string): PutEventsRequestEntry {
  return {
    EventBusName: eventBusName,
    Source: event.source,
    DetailType: event.detailType,
    Detail: JSON.stringify(event.detail),
    Resources: event.resources,
    Time: event.time,
  };
}

/** Greedy batches in input order, bounded by entry count and request size. */
export function batchEntries<Entry extends { size: number }>(
  entries: readonly Entry[],
  maxEntries = PUT_EVENTS_MAX_ENTRIES,
  maxBytes = PUT_EVENTS_MAX_REQUEST_BYTES,
): Entry[][] {
  const batches: Entry[][] = [];
  let current: Entry[] = [];
  let currentBytes = 0;
  for (const entry of entries) {
    if (current.length > 0 && (current.length >= maxEntries || currentBytes + entry.size > maxBytes)) {
      batches.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(entry);
    currentBytes += entry.size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

const defaultSleep = (milliseconds: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, milliseconds));

export function createEventBridgePublisher(options: EventBridgePublisherOptions): EventSink {
  const { client, eventBusName } = options;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 5);
  const baseDelayMs = options.baseDelayMs ?? 200;
  const maxDelayMs = options.maxDelayMs ?? 5_000;
  const sleep = options.sleep ?? defaultSleep;

  const sendBatch = async (
    batch: PendingEntry[],
    publishedSoFar: number,
  ): Promise<Array<PutEventsResultEntry | undefined>> => {
    try {
      const response = await client.send(
        new PutEventsCommand({ Entries: batch.map((pending) => pending.entry) }),
      );
      return response.Entries ?? [];
    } catch (error) {
      // The SDK has already retried throttling and network errors; what is left needs a person.
      const { name, message } = error as Error;
      throw new EventPublishError(
        `PutEvents to event bus ${eventBusName} failed: ${name}: ${message.split('\n')[0]}`,
        batch.map((pending) => ({ eventId: pending.eventId, errorCode: name, errorMessage: message })),
        publishedSoFar,
      );
    }
  };

  return {
    target: `eventbridge:${eventBusName}`,

    async publish(events) {
      const pendingEntries = events.map((event): PendingEntry => {
        const entry = toPutEventsEntry(event, eventBusName);
        return { eventId: event.id, entry, size: putEventsEntrySize(entry) };
      });
      const oversized = pendingEntries.find((pending) => pending.size > PUT_EVENTS_MAX_REQUEST_BYTES);
      if (oversized) {
        throw new EventPublishError(
          `Event ${oversized.eventId} is ${oversized.size} bytes, over the 256 KB PutEvents limit; nothing was sent.`,
          [],
          0,
        );
      }

      let published = 0;
      const failures: FailedEvent[] = [];
      let toSend = pendingEntries;
      for (let attempt = 1; toSend.length > 0; attempt++) {
        const retry: PendingEntry[] = [];
        for (const batch of batchEntries(toSend)) {
          const results = await sendBatch(batch, published);
          batch.forEach((pending, index) => {
            const result = results[index];
            if (result?.EventId && !result.ErrorCode) {
              published++;
              return;
            }
            const failure = {
              eventId: pending.eventId,
              errorCode: result?.ErrorCode ?? 'MissingResult',
              errorMessage: result?.ErrorMessage ?? 'PutEvents returned no result for this entry',
            };
            if (attempt < maxAttempts && !PERMANENT_ERROR_CODES.has(failure.errorCode)) retry.push(pending);
            else failures.push(failure);
          });
        }
        toSend = retry;
        if (toSend.length > 0) {
          const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
          // Jitter, so several exporters throttled together do not retry in step.
          await sleep(Math.round(ceiling / 2 + (Math.random() * ceiling) / 2));
        }
      }

      if (failures.length > 0)
        throw new EventPublishError(
          describeFailures(failures, events.length, maxAttempts),
          failures,
          published,
        );
      return { published };
    },
  };
}

function describeFailures(failures: FailedEvent[], total: number, maxAttempts: number): string {
  const byCode = new Map<string, { count: number; message: string }>();
  for (const failure of failures) {
    const entry = byCode.get(failure.errorCode) ?? { count: 0, message: failure.errorMessage };
    entry.count++;
    byCode.set(failure.errorCode, entry);
  }
  const reasons = [...byCode.entries()]
    .map(([code, { count, message }]) => `${count} ${code}${message ? ` (${message})` : ''}`)
    .join(', ');
  return `EventBridge rejected ${failures.length} of ${total} events after up to ${maxAttempts} attempts: ${reasons}. Re-run to send them again.`;
}
