/**
 * The simulated org: issues with their occurrences, and the users, teams and cases they point to. The HTTP
 * server mutates it in place (state changes, new occurrences), so one org object is the single truth that
 * the API answers from and that `groundTruth` reads.
 */
import type { Track } from '../datadog/types';

export const DISTRIBUTIONS = ['uniform', 'bursty', 'dense', 'collisions'] as const;
export type Distribution = (typeof DISTRIBUTIONS)[number];

/**
 * Occurrences of one issue, sorted by timestamp. Parallel typed arrays keep a few million occurrences in a
 * few tens of megabytes and let window counts be two binary searches.
 */
export interface OccurrenceSeries {
  /** Epoch milliseconds (integers), ascending. */
  timestamps: Float64Array;
  userIds: Int32Array;
  sessionIds: Int32Array;
}

export interface IssueRegression {
  resolved_at: string;
  regressed_at: string;
  regressed_at_version?: string;
}

/** A track Datadog might add after `trace`, `logs` and `rum` (see `OrgOptions.newTrackRate`). */
export const NEW_TRACK = 'profiling';

export interface SimulatedIssue {
  id: string;
  /** Position in `org.issues`; stable for the life of the org. */
  index: number;
  /** `undefined` means the issue has no service attribute at all (not the same as `''`). */
  service: string | undefined;
  track: Track | typeof NEW_TRACK;
  platform: string;
  languages: string[];
  state: string;
  errorType: string;
  errorMessage: string;
  filePath: string;
  functionName: string;
  isCrash: boolean;
  /** Lifetime first occurrence; may be before the org's `from`. */
  firstSeen: number;
  firstSeenVersion: string;
  lastSeenVersion: string;
  assigneeId: string | null;
  caseId: string | null;
  teamIds: string[];
  /** Set when a RESOLVED issue is reopened. */
  regression: IssueRegression | undefined;
  /** When the issue was last resolved (epoch ms), used to fill `regression.resolved_at`. */
  resolvedAt: number | undefined;
  /** Attributes this exporter does not know about, served as-is (unknown-enum mode). */
  extraAttributes: Record<string, unknown> | undefined;
  /**
   * How a missing relationship is written: omitted, or present with `data: null`. Both happen in the real
   * API, and a client must accept both.
   */
  emptyRelationshipStyle: 'omit' | 'null';
  /** Per-issue weight for the deterministic PRIORITY ranking. */
  priorityWeight: number;
  /** Adds an unknown-type resource to `included` next to this issue. */
  withUnknownIncluded: boolean;
  occurrences: OccurrenceSeries;
}

export interface SimulatedUser {
  id: string;
  email: string;
  handle: string;
  name: string;
  /** Left out of search `included` (still served by `GET /api/v2/users/{id}`). */
  omitFromIncluded: boolean;
}

export interface SimulatedTeam {
  id: string;
  handle: string;
  name: string;
  summary: string;
  omitFromIncluded: boolean;
}

export interface SimulatedCase {
  id: string;
  key: string;
  title: string;
  description: string;
  status: string;
  priority: string;
  createdAt: string;
  modifiedAt: string;
  closedAt: string | null;
  archivedAt: string | null;
  creatorId: string;
  jiraIssue: {
    status: string;
    result: { issue_id: string; issue_key: string; issue_url: string; project_key: string };
  } | null;
  extraAttributes: Record<string, unknown> | undefined;
  omitFromIncluded: boolean;
}

/** Options of `generateOrg`; every field has a default (see `resolveOrgOptions`). */
export interface OrgOptions {
  /** Seed of every random choice. Default 1. */
  seed?: number;
  /** Number of issues. Default 200. */
  issues?: number;
  /** Number of generated service names. Default 8. Ignored when `serviceNames` is given. */
  services?: number;
  /** Explicit service names, used instead of generated ones. */
  serviceNames?: string[];
  /** Start of the range the occurrences fall in (epoch ms). Default: `to` minus 6 hours. */
  from?: number;
  /** End (exclusive) of the range. Default 2025-01-15T00:00:00Z. */
  to?: number;
  distribution?: Distribution;
  /**
   * Average occurrences per hour of an active issue. Defaults: uniform 4, bursty 0.5 (the baseline; bursts
   * add more), dense 30, collisions 4.
   */
  eventsPerIssueHour?: number;
  /** Adds services with names that need escaping, an empty-string service and issues without a service. */
  oddServiceNames?: boolean;
  /** Fraction of users, teams and cases left out of search `included`; > 0 also adds dangling ids. */
  missingIncludedRate?: number;
  /** Fraction of issues (and cases) carrying enum values and attributes this exporter does not know. */
  unknownEnumRate?: number;
  /**
   * Fraction of issues in a track newer than the three the search's `track` field accepts: a search by
   * persona finds them, no search by track does. Default 0.
   */
  newTrackRate?: number;
  /** Bursty only: number of bursts. Default 3. */
  bursts?: number;
  /** Bursty only: issues that fire in each burst. Default min(issues, 300). */
  issuesPerBurst?: number;
  /** Number of assignable users. Default 24. */
  users?: number;
  /** Number of teams. Default max(3, services / 2). */
  teams?: number;
  /** Distinct end users per service, for `impacted_users`. Default 400. */
  endUsersPerService?: number;
  /** Length of an end-user session, for `impacted_sessions`. Default 30 minutes. */
  sessionMs?: number;
}

export type ResolvedOrgOptions = Required<Omit<OrgOptions, 'serviceNames'>> & {
  serviceNames: string[] | undefined;
};

export interface SimulatedOrg {
  seed: number;
  options: ResolvedOrgOptions;
  from: number;
  to: number;
  /** Every service value that an issue carries, in generation order (includes `''` in odd mode). */
  services: string[];
  issues: SimulatedIssue[];
  issuesById: Map<string, SimulatedIssue>;
  users: Map<string, SimulatedUser>;
  teams: Map<string, SimulatedTeam>;
  cases: Map<string, SimulatedCase>;
  casesByKey: Map<string, SimulatedCase>;
  /** Ids referenced by relationships that exist nowhere (every GET of them is a 404). */
  danglingIds: { users: string[]; teams: string[]; cases: string[] };
  /** Monotonic counter so occurrences added later get deterministic user and session ids. */
  addedOccurrenceBatches: number;
}
