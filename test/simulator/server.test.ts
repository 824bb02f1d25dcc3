import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IssueResponseWire, SearchRequestAttributes } from '../../lib/datadog/types';
import {
  type GroundTruthEntry,
  generateOrg,
  groundTruth,
  type RunningSimulator,
  type SimulatedOrg,
  startSimulator,
} from '../../lib/simulator/index';
import { authHeaders, call, ids, search, searchBody, searchOk } from './http';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const TO = Date.UTC(2025, 0, 15);
const SEARCH_PATH = '/api/v2/error-tracking/issues/search';

function window(org: SimulatedOrg): SearchRequestAttributes {
  return { query: '*', persona: 'ALL', from: org.from, to: org.to };
}

describe('request validation, auth and not-found shapes', () => {
  let simulator: RunningSimulator;
  let org: SimulatedOrg;

  beforeAll(async () => {
    org = generateOrg({ seed: 31, issues: 30 });
    simulator = await startSimulator({ org, apiKey: 'key-1', appKey: 'app-1' });
  });
  afterAll(() => simulator.close());

  it.each([
    ['missing query', { persona: 'ALL', from: 1, to: 2 }, /query is required/],
    ['missing from', { query: '*', persona: 'ALL', to: 2 }, /from is required/],
    ['from not before to', { query: '*', persona: 'ALL', from: 2, to: 2 }, /from must be before/],
    ['neither track nor persona', { query: '*', from: 1, to: 2 }, /track or attributes.persona/],
    ['bad track', { query: '*', track: 'metrics', from: 1, to: 2 }, /track must be one of/],
    [
      'bad order_by',
      { query: '*', persona: 'ALL', order_by: 'NEWEST', from: 1, to: 2 },
      /order_by must be one of/,
    ],
    ['bad state', { query: '*', persona: 'ALL', states: ['SNOOZED'], from: 1, to: 2 }, /states must contain/],
  ])('answers 400 for %s', async (_name, attributes, detail) => {
    const result = await call(simulator, 'POST', SEARCH_PATH, {
      body: { data: { type: 'search_request', attributes } },
    });
    expect(result.status).toBe(400);
    expect(result.body).toEqual({
      errors: [{ status: '400', title: 'Bad Request', detail: expect.stringMatching(detail) }],
    });
  });

  it('answers 400 for malformed JSON and a wrong data type', async () => {
    expect((await call(simulator, 'POST', SEARCH_PATH, { rawBody: '{"data":' })).status).toBe(400);
    const wrongType = await call(simulator, 'POST', SEARCH_PATH, {
      body: { data: { type: 'search', attributes: window(org) } },
    });
    expect(wrongType.status).toBe(400);
  });

  it('answers 403 Forbidden for missing or wrong keys', async () => {
    const cases: Array<Record<string, string>> = [
      {},
      { 'DD-API-KEY': 'key-1' },
      { 'DD-API-KEY': 'key-1', 'DD-APPLICATION-KEY': 'wrong' },
      { 'DD-API-KEY': 'wrong', 'DD-APPLICATION-KEY': 'app-1' },
    ];
    for (const headers of cases) {
      const result = await call(simulator, 'POST', SEARCH_PATH, { body: searchBody(window(org)), headers });
      expect(result.status).toBe(403);
      expect(result.body).toEqual({ errors: ['Forbidden'] });
      expect(result.headers.get('x-ratelimit-limit')).not.toBeNull();
    }
    expect((await search(simulator, window(org))).status).toBe(200);
  });

  it('answers 400 for a non-UUID issue id and 404 for unknown ids and routes', async () => {
    const notUuid = await call(simulator, 'GET', '/api/v2/error-tracking/issues/not-a-uuid');
    expect(notUuid.status).toBe(400);
    expect(notUuid.body).toMatchObject({ errors: [{ status: '400', detail: 'issue id is not an uuid' }] });
    const unknownId = '00000000-0000-4000-8000-000000000000';
    for (const path of [
      `/api/v2/error-tracking/issues/${unknownId}`,
      `/api/v2/cases/${unknownId}`,
      `/api/v2/team/${unknownId}`,
      `/api/v2/users/${unknownId}`,
      '/api/v2/nothing-here',
    ]) {
      const result = await call(simulator, 'GET', path);
      expect(result.status, path).toBe(404);
      expect(result.body).toEqual({ errors: ['Not found'] });
    }
  });

  it('serves an issue with its included relationships', async () => {
    const issue = org.issues.find((candidate) => candidate.assigneeId && candidate.caseId);
    if (!issue) throw new Error('expected an issue with an assignee and a case');
    const result = await call<IssueResponseWire>(
      simulator,
      'GET',
      `/api/v2/error-tracking/issues/${issue.id}?include=assignee,case,team_owners`,
    );
    expect(result.status).toBe(200);
    expect(result.body.data).toMatchObject({
      id: issue.id,
      type: 'issue',
      attributes: { state: issue.state },
    });
    const includedTypes = (result.body.included ?? []).map((resource) => `${resource.type}:${resource.id}`);
    expect(includedTypes).toContain(`user:${issue.assigneeId}`);
    expect(includedTypes).toContain(`case:${issue.caseId}`);
    const plain = await call<IssueResponseWire>(
      simulator,
      'GET',
      `/api/v2/error-tracking/issues/${issue.id}`,
    );
    expect(plain.body.included).toBeUndefined();
  });
});

describe('state changes', () => {
  let simulator: RunningSimulator;
  let org: SimulatedOrg;
  let clock = Date.UTC(2025, 0, 20, 12, 0, 0);

  beforeAll(async () => {
    org = generateOrg({ seed: 32, issues: 30 });
    simulator = await startSimulator({ org, now: () => clock });
  });
  afterAll(() => simulator.close());

  const putState = (id: string, state: string) =>
    call<IssueResponseWire>(simulator, 'PUT', `/api/v2/error-tracking/issues/${id}/state`, {
      body: { data: { id, type: 'error_tracking_issue', attributes: { state } } },
    });

  it('PUT state changes what GET returns, and RESOLVED→OPEN records a regression', async () => {
    const issue = org.issues.find((candidate) => candidate.state === 'OPEN' && !candidate.regression);
    if (!issue) throw new Error('expected an open issue');
    const resolved = await putState(issue.id, 'RESOLVED');
    expect(resolved.status).toBe(200);
    expect(resolved.body.data.attributes.state).toBe('RESOLVED');
    const resolvedAt = clock;
    clock += HOUR;
    await putState(issue.id, 'OPEN');
    const fetched = await call<IssueResponseWire>(
      simulator,
      'GET',
      `/api/v2/error-tracking/issues/${issue.id}`,
    );
    expect(fetched.body.data.attributes.state).toBe('OPEN');
    expect(fetched.body.data.attributes.regression).toMatchObject({
      resolved_at: new Date(resolvedAt).toISOString(),
      regressed_at: new Date(clock).toISOString(),
    });
  });

  it('rejects an unknown state and 404s an unknown issue', async () => {
    const issue = org.issues[0];
    if (!issue) throw new Error('no issue');
    expect((await putState(issue.id, 'SNOOZED')).status).toBe(400);
    expect((await putState('00000000-0000-4000-8000-000000000000', 'OPEN')).status).toBe(404);
  });

  it('reflects state, assignee and occurrence changes made from code', async () => {
    const issue = org.issues[1];
    if (!issue) throw new Error('no issue');
    simulator.setIssueState(issue.id, 'IGNORED');
    simulator.setIssueAssignee(issue.id, null);
    const fetched = await call<IssueResponseWire>(
      simulator,
      'GET',
      `/api/v2/error-tracking/issues/${issue.id}`,
    );
    expect(fetched.body.data.attributes.state).toBe('IGNORED');
    expect(fetched.body.data.relationships?.assignee?.data ?? null).toBeNull();

    const later = org.to + 5 * MINUTE;
    const before = await searchOk(simulator, { query: '*', persona: 'ALL', from: org.to, to: org.to + HOUR });
    expect(ids(before)).not.toContain(issue.id);
    simulator.addOccurrences(issue.id, [later, later, later + 1]);
    const after = await searchOk(simulator, { query: '*', persona: 'ALL', from: org.to, to: org.to + HOUR });
    expect(after.data.find((result) => result.id === issue.id)?.attributes.total_count).toBe(3);
    const refetched = await call<IssueResponseWire>(
      simulator,
      'GET',
      `/api/v2/error-tracking/issues/${issue.id}`,
    );
    expect(refetched.body.data.attributes.last_seen).toBe(later + 1);
  });
});

describe('rate limiting', () => {
  it('sends X-RateLimit headers on every response and 429s over the limit', async () => {
    let clock = 1_700_000_002_500;
    const org = generateOrg({ seed: 33, issues: 10 });
    const simulator = await startSimulator({
      org,
      now: () => clock,
      rateLimit: { limit: 3, periodSeconds: 10 },
    });
    try {
      const remaining: string[] = [];
      for (let request = 0; request < 3; request++) {
        const result = await search(simulator, window(org));
        expect(result.status).toBe(200);
        expect(result.headers.get('x-ratelimit-limit')).toBe('3');
        expect(result.headers.get('x-ratelimit-period')).toBe('10');
        expect(result.headers.get('x-ratelimit-reset')).toBe('8');
        expect(result.headers.get('x-ratelimit-name')).toBe('error_tracking');
        remaining.push(result.headers.get('x-ratelimit-remaining') ?? '');
      }
      expect(remaining).toEqual(['2', '1', '0']);
      const limited = await call(simulator, 'GET', `/api/v2/users/${[...org.users.keys()][0]}`);
      expect(limited.status).toBe(429);
      expect(limited.body).toEqual({ errors: ['Rate limit exceeded'] });
      expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
      clock += 7_500;
      const nextWindow = await search(simulator, window(org));
      expect(nextWindow.status).toBe(200);
      expect(nextWindow.headers.get('x-ratelimit-remaining')).toBe('2');
      expect(nextWindow.headers.get('x-ratelimit-reset')).toBe('10');
      expect(simulator.stats.byStatus['429']).toBe(1);
    } finally {
      await simulator.close();
    }
  });
});

describe('faults', () => {
  let simulator: RunningSimulator;
  let org: SimulatedOrg;

  beforeAll(async () => {
    org = generateOrg({ seed: 34, issues: 20 });
    simulator = await startSimulator({ org });
  });
  afterAll(() => simulator.close());

  it('serves each injected fault kind once, then recovers', async () => {
    simulator.injectFaults('server_error', 1);
    const serverError = await search(simulator, window(org));
    expect(serverError.status).toBe(500);
    expect(serverError.body).toEqual({ errors: ['Internal Server Error'] });

    for (const [kind, status] of [
      ['bad_gateway', 502],
      ['service_unavailable', 503],
    ] as const) {
      simulator.injectFaults(kind, 1);
      const result = await search(simulator, window(org));
      expect(result.status).toBe(status);
      expect(result.headers.get('content-type')).toMatch(/text\/html/);
      expect(result.text).toMatch(/<html>/);
    }

    simulator.injectFaults('truncated_json', 1);
    const truncated = await search(simulator, window(org));
    expect(truncated.status).toBe(200);
    expect(() => JSON.parse(truncated.text)).toThrow();

    simulator.injectFaults('rate_limited', 1);
    expect((await search(simulator, window(org))).status).toBe(429);

    simulator.injectFaults('connection_reset', 1);
    await expect(
      fetch(`${simulator.url}${SEARCH_PATH}`, {
        method: 'POST',
        headers: authHeaders(simulator),
        body: JSON.stringify(searchBody(window(org))),
      }),
    ).rejects.toThrow();

    simulator.injectFaults('slow', 1, { delayMs: 50 });
    expect((await search(simulator, window(org))).status).toBe(200);

    expect((await search(simulator, window(org))).status).toBe(200);
    expect(simulator.stats.faults).toEqual({
      server_error: 1,
      bad_gateway: 1,
      service_unavailable: 1,
      truncated_json: 1,
      rate_limited: 1,
      connection_reset: 1,
      slow: 1,
    });
  });

  it('applies injected faults to the next N requests of one endpoint only', async () => {
    simulator.injectFaults('server_error', 2, { endpoint: 'get_user' });
    const userPath = `/api/v2/users/${[...org.users.keys()][0]}`;
    expect((await search(simulator, window(org))).status).toBe(200);
    expect((await call(simulator, 'GET', userPath)).status).toBe(500);
    expect((await call(simulator, 'GET', userPath)).status).toBe(500);
    expect((await call(simulator, 'GET', userPath)).status).toBe(200);
  });

  it('never faults the ground-truth endpoint', async () => {
    simulator.injectFaults('server_error', 1);
    const truth = await fetch(
      `${simulator.url}/_simulator/ground-truth?from=${org.from}&to=${org.to}&bucket_ms=${HOUR}`,
    );
    expect(truth.status).toBe(200);
    simulator.clearFaults();
  });

  it('draws random faults reproducibly from the seed', async () => {
    const statuses = async () => {
      const faulty = await startSimulator({
        org,
        faults: {
          seed: 99,
          serverErrorRate: 0.2,
          badGatewayRate: 0.1,
          truncatedJsonRate: 0.1,
          latencyMs: 1,
          latencyJitterMs: 2,
        },
      });
      try {
        const seen: string[] = [];
        for (let request = 0; request < 40; request++) {
          const result = await search(faulty, window(org));
          const parses = (() => {
            try {
              JSON.parse(result.text);
              return true;
            } catch {
              return false;
            }
          })();
          seen.push(result.status === 200 && !parses ? '200-truncated' : String(result.status));
        }
        return seen;
      } finally {
        await faulty.close();
      }
    };
    const first = await statuses();
    expect(first).toEqual(await statuses());
    expect(first.filter((status) => status === '500').length).toBeGreaterThan(0);
    expect(first.filter((status) => status === '502').length).toBeGreaterThan(0);
    expect(first.filter((status) => status === '200-truncated').length).toBeGreaterThan(0);
    expect(first.filter((status) => status === '200').length).toBeGreaterThan(15);
  });
});

describe('stats', () => {
  it('counts requests by endpoint and status, and searches; resetStats zeroes them', async () => {
    const org = generateOrg({ seed: 35, issues: 10 });
    const simulator = await startSimulator({ org });
    try {
      await search(simulator, window(org));
      await search(simulator, { ...window(org), query: 'nope' });
      await call(simulator, 'GET', '/api/v2/error-tracking/issues/00000000-0000-4000-8000-000000000000');
      await fetch(`${simulator.url}/_simulator/ground-truth?from=${org.from}&to=${org.to}&bucket_ms=${HOUR}`);
      expect(simulator.stats).toMatchObject({
        requests: 3,
        searches: 1,
        byEndpoint: { search: 2, get_issue: 1 },
        byStatus: { '200': 1, '400': 1, '404': 1 },
        byEndpointStatus: { search: { '200': 1, '400': 1 }, get_issue: { '404': 1 } },
      });
      expect(simulator.stats.searchLog).toEqual([window(org)]);
      simulator.resetStats();
      expect(simulator.stats.requests).toBe(0);
      expect(simulator.stats.searchLog).toEqual([]);
    } finally {
      await simulator.close();
    }
  });
});

describe('ground truth', () => {
  it('equals the per-bucket searches of a small org, over HTTP and in process', async () => {
    const org = generateOrg({ seed: 36, issues: 60, distribution: 'bursty', from: TO - 2 * HOUR, to: TO });
    const simulator = await startSimulator({ org });
    try {
      const bucketMs = 10 * MINUTE;
      const fromSearches: GroundTruthEntry[] = [];
      for (let bucketStart = org.from; bucketStart < org.to; bucketStart += bucketMs) {
        const response = await searchOk(simulator, {
          query: '*',
          persona: 'ALL',
          from: bucketStart,
          to: bucketStart + bucketMs,
        });
        expect(response.data.length).toBeLessThan(100);
        for (const result of response.data) {
          const issue = org.issuesById.get(result.id);
          if (!issue) throw new Error(`unknown issue ${result.id}`);
          fromSearches.push({
            issueId: result.id,
            service: issue.service ?? null,
            track: issue.track,
            bucketStart,
            totalCount: result.attributes.total_count ?? 0,
            impactedUsers: result.attributes.impacted_users ?? 0,
            impactedSessions: result.attributes.impacted_sessions ?? 0,
          });
        }
      }
      fromSearches.sort(
        (left, right) => left.bucketStart - right.bucketStart || (left.issueId < right.issueId ? -1 : 1),
      );
      const truth = groundTruth(org, { from: org.from, to: org.to, bucketMs });
      expect(truth.length).toBeGreaterThan(60);
      expect(fromSearches).toEqual(truth);
      const served = await fetch(
        `${simulator.url}/_simulator/ground-truth?from=${org.from}&to=${org.to}&bucket_ms=${bucketMs}`,
      );
      expect(((await served.json()) as { entries: GroundTruthEntry[] }).entries).toEqual(truth);
      const total = org.issues.reduce((sum, issue) => sum + issue.occurrences.timestamps.length, 0);
      expect(truth.reduce((sum, entry) => sum + entry.totalCount, 0)).toBe(total);

      const traceOnly = groundTruth(org, { from: org.from, to: org.to, bucketMs, track: 'trace' });
      expect(traceOnly.every((entry) => entry.track === 'trace')).toBe(true);
      const badRequest = await fetch(
        `${simulator.url}/_simulator/ground-truth?from=${org.from}&to=${org.to}`,
      );
      expect(badRequest.status).toBe(400);
    } finally {
      await simulator.close();
    }
  });
});

describe('determinism over HTTP', () => {
  it('answers byte-identical searches from two orgs of the same seed', async () => {
    const options = {
      seed: 37,
      issues: 120,
      distribution: 'uniform',
      oddServiceNames: true,
      unknownEnumRate: 0.2,
    } as const;
    const first = await startSimulator({ org: generateOrg(options) });
    const second = await startSimulator({ org: generateOrg(options) });
    try {
      const attributes = window(first.org);
      const [left, right] = await Promise.all([search(first, attributes), search(second, attributes)]);
      expect(left.text).toBe(right.text);
      expect(left.text.length).toBeGreaterThan(1000);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });
});
