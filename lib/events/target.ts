import path from 'node:path';
import { ConfigError } from '../errors';
import { createEventBridgePublisher, type EventBridgeSendClient } from './eventbridge';
import { createNdjsonEventSink } from './ndjson';
import type { EventSink } from './types';

export type EventsTarget = { kind: 'file'; path: string } | { kind: 'eventbridge'; eventBusName: string };

const EVENTBRIDGE_PREFIX = 'eventbridge:';
const BUS_NAME = /^[\w.\-/]{1,256}$/;
const BUS_ARN = /^arn:aws[\w-]*:events:[a-z0-9-]+:\d{12}:event-bus\/[\w.\-/]+$/;

/** Accepts `eventbridge:<bus name or ARN>` or a path to an NDJSON file. */
export function parseEventsTarget(value: string): EventsTarget {
  const trimmed = value.trim();
  if (trimmed === '') {
    throw new ConfigError(
      'Events target is empty: pass eventbridge:<bus name or ARN> or a path to an .ndjson file.',
    );
  }
  if (trimmed.toLowerCase().startsWith(EVENTBRIDGE_PREFIX)) {
    const eventBusName = trimmed.slice(EVENTBRIDGE_PREFIX.length);
    if (!BUS_NAME.test(eventBusName) && !BUS_ARN.test(eventBusName)) {
      throw new ConfigError(
        `Events target ${trimmed} has no valid event bus: use eventbridge:<bus name> or eventbridge:arn:aws:events:<region>:<account>:event-bus/<name>.`,
      );
    }
    return { kind: 'eventbridge', eventBusName };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
    throw new ConfigError(
      `Events target ${trimmed} is not supported: use eventbridge:<bus> or a local .ndjson file.`,
    );
  }
  return { kind: 'file', path: path.resolve(trimmed) };
}

export function createEventSink(
  target: EventsTarget,
  dependencies: { eventBridgeClient?: EventBridgeSendClient },
): EventSink {
  if (target.kind === 'file') return createNdjsonEventSink(target.path);
  if (!dependencies.eventBridgeClient)
    throw new Error('An EventBridge client is required for an eventbridge: target');
  return createEventBridgePublisher({
    client: dependencies.eventBridgeClient,
    eventBusName: target.eventBusName,
  });
}
