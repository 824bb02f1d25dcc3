import type {
  CaseWire,
  IssueResponseWire,
  SearchRequestAttributes,
  SearchResponseWire,
  TeamWire,
  UserWire,
} from './types';

/** Counters a client keeps so the run manifest and metrics can report API cost. */
export interface ApiStats {
  requests: number;
  searches: number;
  retries: number;
  rateLimited: number;
  /** Milliseconds spent waiting because of rate-limit pacing or a 429. */
  throttledMs: number;
}

/**
 * What the exporter needs from Datadog. The HTTP client in `client.ts` implements it; unit tests may pass a
 * fake. All methods retry transient failures internally and throw a `DatadogApiError` when they give up.
 */
export interface ErrorTrackingApi {
  searchIssues(attributes: SearchRequestAttributes): Promise<SearchResponseWire>;
  /** `null` when the issue does not exist (404). */
  getIssue(issueId: string): Promise<IssueResponseWire | null>;
  /** `null` when the case does not exist (404). */
  getCase(caseId: string): Promise<CaseWire | null>;
  /** `null` when the team does not exist (404). */
  getTeam(teamId: string): Promise<TeamWire | null>;
  /** `null` when the user does not exist (404). */
  getUser(userId: string): Promise<UserWire | null>;
  readonly stats: ApiStats;
}
