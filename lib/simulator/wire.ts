/** Serializes org objects into the JSON:API shapes of the Datadog reference examples. */
import type { CaseWire, IssueWire, TeamWire, UnknownIncludedWire, UserWire } from '../datadog/types';
import type { SimulatedCase, SimulatedIssue, SimulatedTeam, SimulatedUser } from './model';

export function lastSeen(issue: SimulatedIssue): number {
  const { timestamps } = issue.occurrences;
  return timestamps.length > 0 ? (timestamps[timestamps.length - 1] as number) : issue.firstSeen;
}

export function issueToWire(issue: SimulatedIssue): IssueWire {
  const attributes: IssueWire['attributes'] = {
    error_message: issue.errorMessage,
    error_type: issue.errorType,
    file_path: issue.filePath,
    first_seen: issue.firstSeen,
    first_seen_version: issue.firstSeenVersion,
    function_name: issue.functionName,
    is_crash: issue.isCrash,
    languages: [...issue.languages],
    last_seen: lastSeen(issue),
    last_seen_version: issue.lastSeenVersion,
    platform: issue.platform,
  };
  if (issue.service !== undefined) attributes.service = issue.service;
  attributes.state = issue.state;
  if (issue.regression) attributes.regression = { ...issue.regression };
  if (issue.extraAttributes) Object.assign(attributes, structuredClone(issue.extraAttributes));

  const relationships: NonNullable<IssueWire['relationships']> = {};
  const writeNull = issue.emptyRelationshipStyle === 'null';
  if (issue.assigneeId) relationships.assignee = { data: { id: issue.assigneeId, type: 'user' } };
  else if (writeNull) relationships.assignee = { data: null };
  if (issue.caseId) relationships.case = { data: { id: issue.caseId, type: 'case' } };
  else if (writeNull) relationships.case = { data: null };
  if (issue.teamIds.length > 0 || writeNull) {
    relationships.team_owners = { data: issue.teamIds.map((id) => ({ id, type: 'team' })) };
  }
  return { attributes, id: issue.id, relationships, type: 'issue' };
}

export function userToWire(user: SimulatedUser, type: 'user' | 'users'): UserWire {
  const attributes: UserWire['attributes'] = { email: user.email, handle: user.handle, name: user.name };
  if (type === 'users') {
    // The users endpoint returns the full user; these are the fields it always carries.
    Object.assign(attributes, {
      created_at: '2023-03-01T12:00:00.000000+00:00',
      disabled: false,
      service_account: user.email === '',
      status: 'Active',
      title: null,
      verified: true,
    });
  }
  return { attributes, id: user.id, type };
}

export function teamToWire(team: SimulatedTeam): TeamWire {
  return {
    attributes: { handle: team.handle, name: team.name, summary: team.summary },
    id: team.id,
    type: 'team',
  };
}

export function caseToWire(
  simulatedCase: SimulatedCase,
): CaseWire & { relationships: Record<string, unknown> } {
  const attributes: CaseWire['attributes'] = {
    archived_at: simulatedCase.archivedAt,
    closed_at: simulatedCase.closedAt,
    created_at: simulatedCase.createdAt,
    creation_source: 'ERROR_TRACKING',
    description: simulatedCase.description,
    jira_issue: simulatedCase.jiraIssue ? structuredClone(simulatedCase.jiraIssue) : null,
    key: simulatedCase.key,
    modified_at: simulatedCase.modifiedAt,
    priority: simulatedCase.priority,
    status: simulatedCase.status,
    title: simulatedCase.title,
    type: 'ERROR_TRACKING_ISSUE',
  };
  if (simulatedCase.extraAttributes)
    Object.assign(attributes, structuredClone(simulatedCase.extraAttributes));
  const creator = { data: { id: simulatedCase.creatorId, type: 'user' } };
  return {
    attributes,
    id: simulatedCase.id,
    relationships: { created_by: creator, modified_by: creator },
    type: 'case',
  };
}

/** A resource of a type the exporter does not know, which it must skip without failing. */
export function unknownIncludedFor(issue: SimulatedIssue): UnknownIncludedWire {
  return {
    id: `insight-${issue.id}`,
    type: 'issue_insight',
    attributes: { issue_id: issue.id, summary: 'Spike correlated with a deployment', score: 0.7 },
  };
}
