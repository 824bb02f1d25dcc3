/**
 * Changes to an org after generation, made by the HTTP API (`PUT .../state`) or directly by tests. They
 * mutate the org in place, so a running simulator serves them at once.
 */
import { NotFoundError } from './errors';
import type { SimulatedIssue, SimulatedOrg } from './model';
import { mergeSeries } from './occurrences';
import { mix32, Random } from './random';

function requireIssue(org: SimulatedOrg, issueId: string): SimulatedIssue {
  const issue = org.issuesById.get(issueId);
  if (!issue) throw new NotFoundError(`no issue with id ${issueId}`);
  return issue;
}

function reopen(issue: SimulatedIssue, regressedAt: number): void {
  issue.regression = {
    resolved_at: new Date(issue.resolvedAt ?? regressedAt).toISOString(),
    regressed_at: new Date(regressedAt).toISOString(),
    ...(issue.lastSeenVersion ? { regressed_at_version: issue.lastSeenVersion } : {}),
  };
  issue.state = 'OPEN';
}

/**
 * Sets the current state. RESOLVED → OPEN records a `regression`, as Datadog does for a reopened issue.
 * Any string is accepted here so tests can set states the API does not know yet.
 */
export function setIssueState(
  org: SimulatedOrg,
  issueId: string,
  state: string,
  now: number,
): SimulatedIssue {
  const issue = requireIssue(org, issueId);
  if (issue.state === 'RESOLVED' && state === 'OPEN') reopen(issue, now);
  else issue.state = state;
  if (state === 'RESOLVED') issue.resolvedAt = now;
  return issue;
}

export function setIssueAssignee(org: SimulatedOrg, issueId: string, userId: string | null): SimulatedIssue {
  const issue = requireIssue(org, issueId);
  issue.assigneeId = userId;
  return issue;
}

export interface AddOccurrencesOptions {
  /**
   * A RESOLVED issue that errors after it was resolved reopens (state OPEN plus `regression`), as in
   * Datadog. Default true.
   */
  reopenResolved?: boolean;
}

/** Adds occurrences at the given epoch-ms timestamps; users and sessions are drawn deterministically. */
export function addOccurrences(
  org: SimulatedOrg,
  issueId: string,
  timestamps: readonly number[],
  options: AddOccurrencesOptions = {},
): SimulatedIssue {
  const issue = requireIssue(org, issueId);
  if (timestamps.length === 0) return issue;
  for (const timestamp of timestamps) {
    if (!Number.isSafeInteger(timestamp))
      throw new RangeError('occurrence timestamps must be integer epoch ms');
  }
  org.addedOccurrenceBatches++;
  const random = new Random(mix32(org.seed, org.addedOccurrenceBatches));
  const existingUsers = issue.occurrences.userIds;
  const fallbackUser = existingUsers.length > 0 ? (existingUsers[0] as number) : issue.index * 1000;
  const added = {
    timestamps: Float64Array.from(timestamps).sort(),
    userIds: new Int32Array(timestamps.length),
    sessionIds: new Int32Array(timestamps.length),
  };
  for (let index = 0; index < added.timestamps.length; index++) {
    const user =
      existingUsers.length > 0 && random.chance(0.7)
        ? (existingUsers[random.int(existingUsers.length)] as number)
        : fallbackUser + 1 + random.int(1000);
    added.userIds[index] = user;
    added.sessionIds[index] =
      mix32(user, Math.floor((added.timestamps[index] as number) / org.options.sessionMs)) & 0x7fffffff;
  }
  issue.occurrences = mergeSeries(issue.occurrences, added);
  const earliest = added.timestamps[0] as number;
  if (earliest < issue.firstSeen) issue.firstSeen = earliest;
  if (issue.state === 'RESOLVED' && options.reopenResolved !== false) {
    const resolvedAt = issue.resolvedAt ?? Number.NEGATIVE_INFINITY;
    const regressedAt = added.timestamps.find((timestamp) => timestamp > resolvedAt);
    if (regressedAt !== undefined) reopen(issue, regressedAt);
  }
  return issue;
}

/**
 * Purges an issue, as Datadog does once an issue has been quiet past retention: `GET issue` answers 404
 * from then on. Its past occurrences stay in the ground truth, so only use it for issues that a test no
 * longer expects searches to find.
 */
export function purgeIssue(org: SimulatedOrg, issueId: string): void {
  requireIssue(org, issueId);
  org.issuesById.delete(issueId);
}
