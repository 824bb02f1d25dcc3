export {
  type BuildEventsOptions,
  buildEvents,
  DEFAULT_EVENT_SOURCE,
  DEFAULT_MAX_ERROR_MESSAGE_BYTES,
  eventEntrySize,
  MAX_EVENT_BYTES,
  validateEventSource,
} from './build';
export {
  batchEntries,
  createEventBridgePublisher,
  type EventBridgePublisherOptions,
  type EventBridgeSendClient,
  EventPublishError,
  type FailedEvent,
  toPutEventsEntry,
} from './eventbridge';
export {
  createNdjsonEventSink,
  type DeliveredEvent,
  type NdjsonEventSinkOptions,
  toDeliveredEvent,
} from './ndjson';
export {
  PUT_EVENTS_MAX_ENTRIES,
  PUT_EVENTS_MAX_REQUEST_BYTES,
  putEventsEntrySize,
  truncateUtf8,
} from './size';
export { createEventSink, type EventsTarget, parseEventsTarget } from './target';
export {
  DETAIL_TYPES,
  type EventSink,
  type IssueDetailType,
  type IssueEvent,
  type IssueEventAssignee,
  type IssueEventDetail,
} from './types';
