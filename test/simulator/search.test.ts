import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IssueWire, type SearchResponseWire, TRACKS } from '../../lib/datadog/types';
import {
  generateOrg,
  NEW_TRACK,
  quoteQueryValue,
  type RunningSimulator,
  type SimulatedOrg,
  startSimulator,
} from '../../lib/simulator/index';
import { lowerBound } from '../../lib/simulator/occurrences';
import { call, ids, search, searchOk } from './http';

const HOUR = 3_600_000;
const TO = Date.UTC(2025, 0, 15);

/** Window counts straight from the org, for comparing with what the API answers. */
function windowCount(org: SimulatedOrg, issueId: string, from: number, to: number): number {
  const issue = org.issuesById.get(issueId);
  if (!issue) throw new Error(`unknown issue ${issueId}`);
  return lowerBound(issue.occurrences.timestamps, to) - lowerBound(issue.occurrences.timestamps, from);
}

function issuesIn(response: SearchResponseWire): IssueWire[] {
  return (response.included ?? []).filter((resource): resource is IssueWire => resource.type === 'issue');
}

describe('search ranking and the 100 cap', () => {
  let simulator: RunningSimulator;
  let org: SimulatedOrg;

  beforeAll(async () => {
    org = generateOrg({
      seed: 21,
      issues: 400,
      services: 6,
      distribution: 'uniform',
      from: TO - 6 * HOUR,
      to: TO,
    });
    simulator = await startSimulator({ org });
  });
  afterAll(() => simulator.close());

  it('returns the top 100 by total_count, ties by id, with exact window counts', async () => {
    const window = { from: org.from, to: org.to };
    const response = await searchOk(simulator, { query: '*', persona: 'ALL', ...window });
    expect(response.data).toHaveLength(100);
    const expected = org.issues
      .map((issue) => ({ id: issue.id, count: windowCount(org, issue.id, window.from, window.to) }))
      .filter((entry) => entry.count > 0)
      .sort((left, right) => right.count - left.count || (left.id < right.id ? -1 : 1))
      .slice(0, 100);
    expect(ids(response)).toEqual(expected.map((entry) => entry.id));
    expect(response.data.map((result) => result.attributes.total_count)).toEqual(
      expected.map((entry) => entry.count),
    );
    for (const result of response.data) {
      expect(result.type).toBe('error_tracking_search_result');
      expect(result.relationships?.issue?.data).toEqual({ id: result.id, type: 'issue' });
      const {
        total_count: total = 0,
        impacted_users: users = 0,
        impacted_sessions: sessions = 0,
      } = result.attributes;
      expect(users).toBeGreaterThan(0);
      expect(users).toBeLessThanOrEqual(total);
      expect(sessions).toBeGreaterThanOrEqual(users);
      expect(sessions).toBeLessThanOrEqual(total);
    }
  });

  it('ranks by IMPACTED_SESSIONS and FIRST_SEEN when asked, deterministically for PRIORITY', async () => {
    const base = { query: '*', persona: 'ALL' as const, from: org.from, to: org.to };
    const sessions = await searchOk(simulator, { ...base, order_by: 'IMPACTED_SESSIONS' });
    const sessionCounts = sessions.data.map((result) => result.attributes.impacted_sessions ?? 0);
    expect(sessionCounts).toEqual([...sessionCounts].sort((left, right) => right - left));

    const firstSeen = await searchOk(simulator, { ...base, order_by: 'FIRST_SEEN' });
    const firstSeenValues = issuesIn(firstSeen).map((issue) => issue.attributes.first_seen ?? 0);
    expect(firstSeenValues).toEqual([...firstSeenValues].sort((left, right) => right - left));
    const newest = Math.max(...org.issues.map((issue) => issue.firstSeen));
    expect(firstSeenValues[0]).toBe(newest);

    const priority = await searchOk(simulator, { ...base, order_by: 'PRIORITY' });
    expect(ids(await searchOk(simulator, { ...base, order_by: 'PRIORITY' }))).toEqual(ids(priority));
    expect(ids(priority)).not.toEqual(ids(sessions));
  });

  it('counts from inclusive and to exclusive, so split windows add up', async () => {
    const issue = org.issues.find((candidate) => candidate.occurrences.timestamps.length >= 3);
    if (!issue) throw new Error('no issue with 3 occurrences');
    const instant = issue.occurrences.timestamps[1] as number;
    const query = { query: '*', persona: 'ALL' as const };
    const atInstant = await searchOk(simulator, { ...query, from: instant, to: instant + 1 });
    expect(ids(atInstant)).toContain(issue.id);
    const before = await searchOk(simulator, { ...query, from: instant - 60_000, to: instant });
    const after = await searchOk(simulator, { ...query, from: instant, to: instant + 60_000 });
    const whole = await searchOk(simulator, { ...query, from: instant - 60_000, to: instant + 60_000 });
    const countOf = (response: SearchResponseWire) =>
      response.data.find((result) => result.id === issue.id)?.attributes.total_count ?? 0;
    expect(countOf(before) + countOf(after)).toBe(countOf(whole));
    expect(countOf(after)).toBe(windowCount(org, issue.id, instant, instant + 60_000));
  });
});

describe('a track newer than trace, logs and rum', () => {
  it('is found by persona, by no search of a track', async () => {
    const org = generateOrg({ seed: 23, issues: 90, newTrackRate: 0.2 });
    const simulator = await startSimulator({ org });
    try {
      const window = { query: '*', from: org.from, to: org.to };
      const all = ids(await searchOk(simulator, { ...window, persona: 'ALL' }));
      const byTrack = new Set<string>();
      for (const track of TRACKS)
        for (const id of ids(await searchOk(simulator, { ...window, track }))) byTrack.add(id);
      const newTrack = org.issues.filter((issue) => issue.track === NEW_TRACK).map((issue) => issue.id);
      expect(newTrack.length).toBeGreaterThan(5);
      expect(all.length).toBe(90);
      expect(all.filter((id) => !byTrack.has(id)).sort()).toEqual(newTrack.sort());
    } finally {
      await simulator.close();
    }
  });
});

describe('include semantics', () => {
  let simulator: RunningSimulator;
  let org: SimulatedOrg;

  beforeAll(async () => {
    org = generateOrg({
      seed: 22,
      issues: 80,
      distribution: 'uniform',
      missingIncludedRate: 0.3,
      unknownEnumRate: 0.3,
    });
    simulator = await startSimulator({ org });
  });
  afterAll(() => simulator.close());

  const window = () => ({ query: '*', persona: 'ALL' as const, from: org.from, to: org.to });

  it('without include=issue answers only data with counts', async () => {
    for (const include of [null, '', 'issue.assignee,issue.case']) {
      const response = await searchOk(simulator, window(), include);
      expect(Object.keys(response)).toEqual(['data']);
      expect(response.data.length).toBe(80);
      expect(response.data[0]?.attributes.total_count).toBeGreaterThan(0);
    }
  });

  it('include=issue adds exactly the result issues, with their attributes and relationships', async () => {
    const response = await searchOk(simulator, window(), 'issue');
    const included = response.included ?? [];
    expect(included.filter((resource) => resource.type === 'issue').map((resource) => resource.id)).toEqual(
      ids(response),
    );
    expect(included.every((resource) => resource.type === 'issue' || resource.type === 'issue_insight')).toBe(
      true,
    );
    const issue = issuesIn(response)[0];
    const source = org.issuesById.get(issue?.id ?? '');
    expect(issue?.attributes.error_type).toBe(source?.errorType);
    expect(issue?.attributes.last_seen).toBe(source?.occurrences.timestamps.at(-1));
    expect(issue?.attributes.first_seen).toBe(source?.firstSeen);
  });

  it('adds users, cases and teams present in the org, minus the ones left out on purpose', async () => {
    const response = await searchOk(simulator, window());
    const byType = (type: string) =>
      new Set(
        (response.included ?? []).filter((resource) => resource.type === type).map((resource) => resource.id),
      );
    const users = byType('user');
    const cases = byType('case');
    const teams = byType('team');
    let omitted = 0;
    let dangling = 0;
    for (const issue of issuesIn(response)) {
      const assignee = issue.relationships?.assignee?.data;
      if (assignee) {
        const user = org.users.get(assignee.id);
        if (!user) dangling++;
        else if (user.omitFromIncluded) omitted++;
        expect(users.has(assignee.id)).toBe(Boolean(user && !user.omitFromIncluded));
      }
      const relatedCase = issue.relationships?.case?.data;
      if (relatedCase) {
        const known = org.cases.get(relatedCase.id);
        expect(cases.has(relatedCase.id)).toBe(Boolean(known && !known.omitFromIncluded));
      }
      for (const team of issue.relationships?.team_owners?.data ?? []) {
        const known = org.teams.get(team.id);
        expect(teams.has(team.id)).toBe(Boolean(known && !known.omitFromIncluded));
      }
    }
    expect(users.size + cases.size + teams.size).toBeGreaterThan(0);
    expect(omitted + dangling).toBeGreaterThan(0);
    expect(byType('issue_insight').size).toBeGreaterThan(0);
    const onlyUsers = await searchOk(simulator, window(), 'issue,issue.assignee');
    expect(new Set((onlyUsers.included ?? []).map((resource) => resource.type))).not.toContain('case');
  });

  it('serves omitted objects from the hydration endpoints and 404s dangling ids', async () => {
    const omittedUser = [...org.users.values()].find((user) => user.omitFromIncluded);
    if (!omittedUser) throw new Error('expected an omitted user');
    const user = await call<{ data: { id: string; type: string; attributes: { handle: string } } }>(
      simulator,
      'GET',
      `/api/v2/users/${omittedUser.id}`,
    );
    expect(user.status).toBe(200);
    expect(user.body.data).toMatchObject({
      id: omittedUser.id,
      type: 'users',
      attributes: { handle: omittedUser.handle },
    });
    const danglingIds = [
      ...org.danglingIds.users.map((id) => `/api/v2/users/${id}`),
      ...org.danglingIds.teams.map((id) => `/api/v2/team/${id}`),
      ...org.danglingIds.cases.map((id) => `/api/v2/cases/${id}`),
    ];
    expect(danglingIds.length).toBeGreaterThan(0);
    for (const path of danglingIds) {
      const result = await call(simulator, 'GET', path);
      expect(result.status).toBe(404);
      expect(result.body).toEqual({ errors: ['Not found'] });
    }
    const someCase = [...org.cases.values()][0];
    if (!someCase) throw new Error('expected a case');
    const byKey = await call<{ data: { id: string; attributes: { key: string } } }>(
      simulator,
      'GET',
      `/api/v2/cases/${someCase.key}`,
    );
    expect(byKey.body.data).toMatchObject({ id: someCase.id, attributes: { key: someCase.key } });
    const someTeam = [...org.teams.values()][0];
    const team = await call<{ data: { type: string } }>(simulator, 'GET', `/api/v2/team/${someTeam?.id}`);
    expect(team.body.data.type).toBe('team');
  });

  it('rejects an unknown include value', async () => {
    const result = await search(simulator, window(), 'issue,issue.owner');
    expect(result.status).toBe(400);
  });
});

describe('query forms, tracks, personas and states', () => {
  let simulator: RunningSimulator;
  let org: SimulatedOrg;

  beforeAll(async () => {
    org = generateOrg({ seed: 23, issues: 90, services: 4, oddServiceNames: true, from: TO - HOUR, to: TO });
    simulator = await startSimulator({ org });
  });
  afterAll(() => simulator.close());

  const searchIds = async (query: string, extra: Record<string, unknown> = {}) =>
    new Set(
      ids(await searchOk(simulator, { query, persona: 'ALL', from: org.from, to: org.to, ...extra }, null)),
    );

  it('finds every odd service by its quoted name and nothing else', async () => {
    for (const service of org.services) {
      const found = await searchIds(`service:${quoteQueryValue(service)}`);
      const expected = org.issues.filter((issue) => issue.service === service).map((issue) => issue.id);
      expect(found).toEqual(new Set(expected));
      expect(found.size).toBeGreaterThan(0);
    }
  });

  it('partitions results between a service list and its remainder query', async () => {
    const everything = await searchIds('*');
    expect(everything.size).toBe(90);
    const chosen = ['a=b', '100%', 'with space', ''].map(quoteQueryValue).join(' OR ');
    const inList = await searchIds(`service:(${chosen})`);
    const remainder = await searchIds(`-service:(${chosen})`);
    expect([...inList].filter((id) => remainder.has(id))).toEqual([]);
    expect(new Set([...inList, ...remainder])).toEqual(everything);
    const withoutService = org.issues.filter((issue) => issue.service === undefined).map((issue) => issue.id);
    expect(withoutService.length).toBeGreaterThan(0);
    for (const id of withoutService) expect(remainder.has(id)).toBe(true);

    const userQuery = '@language:(go OR python) OR platform:browser';
    const base = await searchIds(userQuery);
    const left = await searchIds(`(${userQuery}) AND service:(${chosen})`);
    const right = await searchIds(`(${userQuery}) AND -service:(${chosen})`);
    expect(new Set([...left, ...right])).toEqual(base);
    expect(left.size + right.size).toBe(base.size);
  });

  it('filters by track, persona and states', async () => {
    for (const track of ['trace', 'logs', 'rum'] as const) {
      const found = await searchIds('*', { track, persona: undefined });
      expect(found).toEqual(
        new Set(org.issues.filter((issue) => issue.track === track).map((issue) => issue.id)),
      );
    }
    const backend = await searchIds('*', { persona: 'BACKEND' });
    expect(backend).toEqual(
      new Set(org.issues.filter((issue) => issue.platform === 'BACKEND').map((issue) => issue.id)),
    );
    const both = await searchIds('*', { persona: 'BACKEND', track: 'rum' });
    expect(both.size).toBe(0);
    const states = await searchIds('*', { states: ['RESOLVED', 'IGNORED'] });
    expect(states).toEqual(
      new Set(
        org.issues.filter((issue) => ['RESOLVED', 'IGNORED'].includes(issue.state)).map((issue) => issue.id),
      ),
    );
    const assignee = org.issues.find((issue) => issue.assigneeId)?.assigneeId ?? '';
    expect(await searchIds('*', { assignee_ids: [assignee] })).toEqual(
      new Set(org.issues.filter((issue) => issue.assigneeId === assignee).map((issue) => issue.id)),
    );
    const team = org.issues.find((issue) => issue.teamIds.length > 0)?.teamIds[0] ?? '';
    expect(await searchIds('*', { team_ids: [team] })).toEqual(
      new Set(org.issues.filter((issue) => issue.teamIds.includes(team)).map((issue) => issue.id)),
    );
    const mobile = await searchIds('*', { persona: 'MOBILE' });
    const browser = await searchIds('*', { persona: 'BROWSER' });
    expect(backend.size + mobile.size + browser.size).toBe(90);
  });

  it('answers 400 with a JSON:API error for a query it does not support', async () => {
    const result = await search(simulator, {
      query: 'host:web-1',
      persona: 'ALL',
      from: org.from,
      to: org.to,
    });
    expect(result.status).toBe(400);
    expect(result.body).toEqual({
      errors: [
        { status: '400', title: 'Bad Request', detail: expect.stringContaining('unsupported field "host"') },
      ],
    });
  });
});

describe('collisions', () => {
  it('puts more than 100 issues of one service in a single millisecond', async () => {
    const org = generateOrg({
      seed: 24,
      issues: 300,
      distribution: 'collisions',
      from: TO - 6 * HOUR,
      to: TO,
    });
    const simulator = await startSimulator({ org });
    try {
      const counts = new Map<number, number>();
      for (const issue of org.issues.filter((candidate) => candidate.service === org.services[0])) {
        for (const timestamp of new Set(issue.occurrences.timestamps))
          counts.set(timestamp, (counts.get(timestamp) ?? 0) + 1);
      }
      const [instant, count] = [...counts.entries()].sort((left, right) => right[1] - left[1])[0] ?? [0, 0];
      expect(count).toBeGreaterThan(100);
      const response = await searchOk(simulator, {
        query: `service:${quoteQueryValue(org.services[0] ?? '')}`,
        persona: 'ALL',
        from: instant,
        to: instant + 1,
      });
      expect(response.data).toHaveLength(100);
    } finally {
      await simulator.close();
    }
  });
});
