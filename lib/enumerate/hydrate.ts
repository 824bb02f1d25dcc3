import type { ErrorTrackingApi } from '../datadog/api';
import type { CaseWire, IncludedWire, IssueWire, TeamWire, UserWire } from '../datadog/types';

export interface HydratedIssue {
  readonly issue: IssueWire | null;
  readonly assignee: { readonly id: string; readonly user: UserWire | null } | null;
  readonly case: { readonly id: string; readonly record: CaseWire | null } | null;
  readonly teams: ReadonlyArray<{ readonly id: string; readonly team: TeamWire | null }>;
}

export interface HydrationStats {
  issues: number;
  users: number;
  cases: number;
  teams: number;
  notFound: number;
}

/** What every bucket of a run shares: users, cases and teams are few and costly to fetch again. */
interface RunCaches {
  readonly users: Map<string, Promise<UserWire | null> | UserWire | null>;
  readonly cases: Map<string, Promise<CaseWire | null> | CaseWire | null>;
  readonly teams: Map<string, Promise<TeamWire | null> | TeamWire | null>;
  readonly states: Set<string>;
  readonly fetched: HydrationStats;
}

/**
 * Joins issues to their assignee, case and teams. Objects come from search `included` when present; a
 * relationship whose object is missing is fetched once per run from the GET endpoints, and a 404 is
 * remembered as null, so a dangling reference never fails the export or costs a second request.
 *
 * Issue objects are kept per bucket (`forBucket`): every search returns its issues again, so holding them
 * for the whole run would only make memory grow with the number of issues in a long export.
 */
export class Hydrator {
  private readonly issues = new Map<string, IssueWire>();
  private readonly fetchedIssues = new Map<string, Promise<IssueWire | null>>();
  private readonly users: RunCaches['users'];
  private readonly cases: RunCaches['cases'];
  private readonly teams: RunCaches['teams'];
  /** States seen in the run, including ones newer than this code knows. */
  readonly states: Set<string>;
  readonly fetched: HydrationStats;

  constructor(
    private readonly api: ErrorTrackingApi,
    private readonly caches: RunCaches = {
      users: new Map(),
      cases: new Map(),
      teams: new Map(),
      states: new Set(),
      fetched: { issues: 0, users: 0, cases: 0, teams: 0, notFound: 0 },
    },
  ) {
    this.users = caches.users;
    this.cases = caches.cases;
    this.teams = caches.teams;
    this.states = caches.states;
    this.fetched = caches.fetched;
  }

  /** A hydrator for one bucket: its own issue objects, the run's users, cases, teams and counters. */
  forBucket(): Hydrator {
    return new Hydrator(this.api, this.caches);
  }

  addIncluded(included: readonly IncludedWire[] | undefined): void {
    for (const resource of included ?? []) {
      switch (resource.type) {
        case 'issue': {
          const issue = resource as IssueWire;
          this.issues.set(issue.id, issue);
          if (typeof issue.attributes?.state === 'string') this.states.add(issue.attributes.state);
          break;
        }
        case 'user':
        case 'users':
          this.users.set(resource.id, resource as UserWire);
          break;
        case 'case':
          this.cases.set(resource.id, resource as CaseWire);
          break;
        case 'team':
          this.teams.set(resource.id, resource as TeamWire);
          break;
      }
    }
  }

  issueOf(issueId: string): IssueWire | undefined {
    return this.issues.get(issueId);
  }

  async hydrate(issueId: string): Promise<HydratedIssue> {
    const issue = this.issues.get(issueId) ?? (await this.fetchIssue(issueId));
    const relationships = issue?.relationships;
    const assigneeId = relationships?.assignee?.data?.id;
    const caseId = relationships?.case?.data?.id;
    const teamIds = (relationships?.team_owners?.data ?? []).map((team) => team.id);
    const [user, caseRecord, teams] = await Promise.all([
      assigneeId ? this.cached(this.users, assigneeId, 'users', (id) => this.api.getUser(id)) : null,
      caseId ? this.cached(this.cases, caseId, 'cases', (id) => this.api.getCase(id)) : null,
      Promise.all(
        teamIds.map((id) => this.cached(this.teams, id, 'teams', (teamId) => this.api.getTeam(teamId))),
      ),
    ]);
    return {
      issue,
      assignee: assigneeId ? { id: assigneeId, user } : null,
      case: caseId ? { id: caseId, record: caseRecord } : null,
      teams: teamIds.map((id, index) => ({ id, team: teams[index] ?? null })),
    };
  }

  /** The issue as it is now, bypassing what searches returned earlier in the run. */
  async refresh(issueId: string): Promise<HydratedIssue> {
    this.fetched.issues += 1;
    const response = await this.api.getIssue(issueId);
    if (!response) {
      this.fetched.notFound += 1;
      return { issue: null, assignee: null, case: null, teams: [] };
    }
    this.addIncluded(response.included);
    this.issues.set(response.data.id, response.data);
    return this.hydrate(response.data.id);
  }

  private async fetchIssue(issueId: string): Promise<IssueWire | null> {
    let pending = this.fetchedIssues.get(issueId);
    if (!pending) {
      this.fetched.issues += 1;
      pending = this.api.getIssue(issueId).then((response) => {
        if (!response) {
          this.fetched.notFound += 1;
          return null;
        }
        this.addIncluded(response.included);
        this.issues.set(response.data.id, response.data);
        return response.data;
      });
      this.fetchedIssues.set(issueId, pending);
    }
    return pending;
  }

  private async cached<T>(
    cache: Map<string, Promise<T | null> | T | null>,
    id: string,
    kind: 'users' | 'cases' | 'teams',
    fetch: (id: string) => Promise<T | null>,
  ): Promise<T | null> {
    if (cache.has(id)) return cache.get(id) ?? null;
    this.fetched[kind] += 1;
    const pending = fetch(id).then((record) => {
      if (record === null) this.fetched.notFound += 1;
      cache.set(id, record);
      return record;
    });
    cache.set(id, pending);
    return pending;
  }
}
