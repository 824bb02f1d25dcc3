export { createSyntheticStateDocument, measureStateStore, type StateStoreTimings } from './benchmark';
export {
  CHANGE_KINDS,
  type ChangeKind,
  computeEventId,
  type DetectChangesOptions,
  type DetectChangesResult,
  detectChanges,
  type IssueEventAttributes,
  type IssueObservation,
  observationFromIssueRow,
  type StateChange,
} from './changes';
export { decodeStateDocument, encodeStateDocument } from './codec';
export {
  createEmptyStateDocument,
  STATE_FORMAT_VERSION,
  StateConflictError,
  type StateDocument,
  StateFormatError,
  type StateStore,
  type TrackedIssue,
} from './document';
export { createLocalStateStore } from './local';
export { createStateStore, parseStateLocation, type StateLocation } from './location';
export {
  DEFAULT_SETTLED_STATES,
  type RecheckOptions,
  type RecheckSelection,
  selectIssuesToRecheck,
} from './recheck';
export { createS3StateStore, type S3StateStoreOptions, type StateS3Client, stateObjectKey } from './s3';
