/** Public surface of the simulated Datadog Error Tracking API. */
export { BadRequestError, NotFoundError, SimulatorRequestError } from './errors';
export {
  FAULT_KINDS,
  type FaultKind,
  type FaultOptions,
  type InjectFaultsOptions,
  SIMULATOR_ENDPOINTS,
  type SimulatorEndpoint,
} from './faults';
export { generateOrg, OrgOptionsError, resolveOrgOptions } from './generate';
export { type GroundTruthEntry, type GroundTruthOptions, groundTruth } from './ground-truth';
export {
  DISTRIBUTIONS,
  type Distribution,
  NEW_TRACK,
  type OccurrenceSeries,
  type OrgOptions,
  type ResolvedOrgOptions,
  type SimulatedCase,
  type SimulatedIssue,
  type SimulatedOrg,
  type SimulatedTeam,
  type SimulatedUser,
} from './model';
export { type AddOccurrencesOptions, addOccurrences, setIssueAssignee, setIssueState } from './mutations';
export { matchesQuery, parseQuery, type QueryNode, QuerySyntaxError, quoteQueryValue } from './query';
export type { RateLimitOptions } from './rate-limit';
export { type IssueFilter, personaMatches, SearchEngine } from './search';
export {
  DEFAULT_API_KEY,
  DEFAULT_APP_KEY,
  type RunningSimulator,
  type SimulatorOptions,
  type SimulatorStats,
  startSimulator,
} from './server';
