import { afterEach, describe, expect, it } from 'vitest';
import { type ClientEvent, createDatadogClient, type DatadogClientOptions } from '../../lib/datadog/client';
import { DatadogApiError, DatadogAuthError } from '../../lib/datadog/errors';
import { resolveBaseUrl } from '../../lib/datadog/sites';
import {
  inSequence,
  type Responder,
  type ScriptedReply,
  type ScriptedServer,
  startScriptedServer,
} from './scripted-server';

const API_KEY = 'apikey-0123456789abcdef0123456789abcdef';
const APP_KEY = 'appkey-fedcba9876543210fedcba9876543210fedcba98';
const SEARCH = {
  query: 'service:orders-* AND @language:go',
  from: 1_671_612_804_000,
  to: 1_671_620_004_000,
  track: 'trace' as const,
};
const ISSUE_ID = 'c1726a66-1f64-11ee-b338-da7ad0900002';

const SEARCH_RESPONSE = {
  data: [
    {
      id: ISSUE_ID,
      type: 'error_tracking_search_result',
      attributes: { total_count: 12, impacted_users: 3, impacted_sessions: 4 },
      relationships: { issue: { data: { id: ISSUE_ID, type: 'issue' } } },
    },
  ],
  included: [
    {
      id: ISSUE_ID,
      type: 'issue',
      attributes: {
        error_type: 'TypeError',
        service: 'orders',
        state: 'OPEN',
        first_seen: 1_671_612_000_000,
      },
      relationships: { assignee: { data: { id: 'u1', type: 'user' } }, team_owners: { data: [] } },
    },
    { id: 'u1', type: 'user', attributes: { email: '', handle: 'ana', name: 'Ana' } },
  ],
};

const OK_SEARCH: ScriptedReply = { status: 200, body: SEARCH_RESPONSE };

let server: ScriptedServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setup(respond: Responder, overrides: Partial<DatadogClientOptions> = {}) {
  server = await startScriptedServer(respond);
  const events: ClientEvent[] = [];
  const sleeps: number[] = [];
  // The client's clock is virtual: only sleeping moves it, so retry waits cost no real time, pacing still
  // sees them pass, and the time measured waiting is exactly the time slept, however slow the machine.
  const startedAt = Date.now();
  let offsetMs = 0;
  const api = createDatadogClient({
    baseUrl: resolveBaseUrl({ apiUrl: server.baseUrl }),
    apiKey: API_KEY,
    appKey: APP_KEY,
    random: () => 0.5,
    now: () => startedAt + offsetMs,
    sleep: async (milliseconds) => {
      sleeps.push(milliseconds);
      offsetMs += milliseconds;
    },
    onEvent: (event) => events.push(event),
    ...overrides,
  });
  return { api, events, sleeps, server };
}

function retryReasons(events: ClientEvent[]): string[] {
  return events.map((event) => (event.type === 'retry' ? event.reason : event.type));
}

describe('Datadog client over HTTP', () => {
  it('sends the documented search request', async () => {
    const { api, server } = await setup(inSequence(OK_SEARCH), { userAgent: 'error-tracking-export/test' });
    await expect(api.searchIssues(SEARCH)).resolves.toEqual(SEARCH_RESPONSE);
    const [request] = server.requests;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe(
      '/api/v2/error-tracking/issues/search?include=issue,issue.assignee,issue.case,issue.team_owners',
    );
    expect(request?.headers).toMatchObject({
      'dd-api-key': API_KEY,
      'dd-application-key': APP_KEY,
      'content-type': 'application/json',
      accept: 'application/json',
      'user-agent': 'error-tracking-export/test',
    });
    expect(JSON.parse(request?.body ?? '')).toEqual({ data: { type: 'search_request', attributes: SEARCH } });
    expect(api.stats).toEqual({ requests: 1, searches: 1, retries: 0, rateLimited: 0, throttledMs: 0 });
  });

  it('retries a 5xx, then succeeds', async () => {
    const { api, events, server } = await setup(
      inSequence({ status: 503, body: { errors: ['Service Unavailable'] } }, OK_SEARCH),
    );
    await expect(api.searchIssues(SEARCH)).resolves.toEqual(SEARCH_RESPONSE);
    expect(server.requests).toHaveLength(2);
    expect(retryReasons(events)).toEqual(['503 Service Unavailable: Service Unavailable']);
    expect(api.stats).toMatchObject({ requests: 2, searches: 1, retries: 1 });
  });

  it('retries an HTML 502 from a gateway, then succeeds', async () => {
    const html =
      '<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>';
    const { api, events } = await setup(
      inSequence({ status: 502, headers: { 'content-type': 'text/html' }, body: html }, OK_SEARCH),
    );
    await expect(api.searchIssues(SEARCH)).resolves.toEqual(SEARCH_RESPONSE);
    expect(retryReasons(events)).toEqual(['502 Bad Gateway: 502 Bad Gateway']);
  });

  it('retries a truncated JSON body, then succeeds', async () => {
    const truncated = JSON.stringify(SEARCH_RESPONSE).slice(0, 60);
    const { api, events } = await setup(
      inSequence(
        { status: 200, headers: { 'content-type': 'application/json' }, body: truncated },
        OK_SEARCH,
      ),
    );
    await expect(api.searchIssues(SEARCH)).resolves.toEqual(SEARCH_RESPONSE);
    expect(retryReasons(events)).toEqual(['the body is not valid JSON (truncated?)']);
  });

  it('retries a 200 whose body has the wrong shape, then succeeds', async () => {
    const { api, events } = await setup(inSequence({ status: 200, body: { data: { id: 'x' } } }, OK_SEARCH));
    await expect(api.searchIssues(SEARCH)).resolves.toEqual(SEARCH_RESPONSE);
    expect(retryReasons(events)).toEqual(['data is not an array']);
  });

  it('retries a connection reset, then succeeds', async () => {
    const { api, events, server } = await setup(inSequence({ destroySocket: true }, OK_SEARCH));
    await expect(api.searchIssues(SEARCH)).resolves.toEqual(SEARCH_RESPONSE);
    expect(server.requests).toHaveLength(2);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'retry', attempt: 1 });
  });

  it('retries a body cut off mid-stream, then succeeds', async () => {
    const { api, events } = await setup(
      inSequence({ status: 200, partialBody: '{"data":[{"id":"c17' }, OK_SEARCH),
    );
    await expect(api.searchIssues(SEARCH)).resolves.toEqual(SEARCH_RESPONSE);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'retry', attempt: 1 });
  });

  it('waits for X-RateLimit-Reset after a 429', async () => {
    const rateLimitHeaders = {
      'X-RateLimit-Limit': '30',
      'X-RateLimit-Period': '10',
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Reset': '2',
      'X-RateLimit-Name': 'error_tracking_search',
    };
    const { api, events, sleeps } = await setup(
      inSequence(
        { status: 429, headers: rateLimitHeaders, body: { errors: ['Too many requests'] } },
        OK_SEARCH,
      ),
    );
    await expect(api.searchIssues(SEARCH)).resolves.toEqual(SEARCH_RESPONSE);
    // 2 s from the header plus 250 ms of jitter (random 0.5 of 500 ms); the pacer then sees the reset passed.
    expect(sleeps).toEqual([2250]);
    expect(events).toEqual([
      {
        type: 'rate-limited',
        operation: 'searchIssues',
        attempt: 1,
        delayMs: 2250,
        bucket: 'error_tracking_search',
      },
    ]);
    expect(api.stats).toEqual({ requests: 2, searches: 1, retries: 1, rateLimited: 1, throttledMs: 2250 });
  });

  it.each([
    [401, 'Unauthorized'],
    [403, 'Forbidden'],
  ])('fails fast on %i with a message that says which settings to check', async (status, text) => {
    const { api, server } = await setup(inSequence({ status, body: { errors: [`Forbidden ${API_KEY}`] } }));
    const error = await api.searchIssues(SEARCH).catch((caught: unknown) => caught);
    expect(server.requests).toHaveLength(1);
    expect(error).toBeInstanceOf(DatadogAuthError);
    expect((error as DatadogAuthError).exitCode).toBe(2);
    expect((error as Error).message).toBe(
      `Datadog rejected the API or application key (${status} ${text}) at ${server.baseUrl}: check DD_API_KEY and ` +
        'DD_APP_KEY (keys work only on their own DD_SITE), and that the application key has the ' +
        'error_tracking_read scope',
    );
    expect(JSON.stringify({ ...(error as object), message: (error as Error).message })).not.toMatch(
      /apikey-|appkey-/,
    );
  });

  it.each([
    ['getCase', 'cases_read'],
    ['getTeam', 'teams_read'],
    ['getUser', 'user_access_read'],
    ['getIssue', 'error_tracking_read'],
  ] as const)('names the scope %s needs in the 403 message', async (operation, scope) => {
    const { api } = await setup(inSequence({ status: 403, body: { errors: ['Forbidden'] } }));
    await expect(api[operation]('id-1')).rejects.toThrow(`the application key has the ${scope} scope`);
  });

  it.each([
    [{ errors: ['Bad Request'] }, 'Bad Request'],
    [
      { errors: [{ status: '400', title: 'Bad Request', detail: 'invalid query: unbalanced parenthesis' }] },
      'Bad Request: invalid query: unbalanced parenthesis',
    ],
    ['<html><head><title>400 Bad Request</title></head><body>x</body></html>', '400 Bad Request'],
  ])('does not retry a 400 and reports its body %j in one line', async (body, detail) => {
    const { api, server } = await setup(inSequence({ status: 400, body }));
    const error = await api.searchIssues(SEARCH).catch((caught: unknown) => caught);
    expect(server.requests).toHaveLength(1);
    expect(error).toBeInstanceOf(DatadogApiError);
    expect(error).not.toBeInstanceOf(DatadogAuthError);
    expect((error as DatadogApiError).message).toBe(
      `Datadog API error 400 Bad Request on POST /api/v2/error-tracking/issues/search: ${detail}`,
    );
    expect((error as DatadogApiError).exitCode).toBe(1);
    expect((error as DatadogApiError).status).toBe(400);
  });

  it('returns null for a 404 on each single-resource GET and encodes path segments', async () => {
    const notFound: ScriptedReply = { status: 404, body: { errors: ['Not Found'] } };
    const { api, server } = await setup(inSequence(notFound, notFound, notFound, notFound));
    expect(await api.getIssue(ISSUE_ID)).toBeNull();
    expect(await api.getCase('ET 1/2')).toBeNull();
    expect(await api.getTeam('team?x')).toBeNull();
    expect(await api.getUser('u#1')).toBeNull();
    expect(server.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      `GET /api/v2/error-tracking/issues/${ISSUE_ID}?include=assignee,case,team_owners`,
      'GET /api/v2/cases/ET%201%2F2',
      'GET /api/v2/team/team%3Fx',
      'GET /api/v2/users/u%231',
    ]);
    expect(server.requests[0]?.headers['content-type']).toBeUndefined();
  });

  it('returns the hydrated resources', async () => {
    const { api } = await setup(
      inSequence(
        {
          status: 200,
          body: { data: { id: ISSUE_ID, type: 'issue', attributes: { state: 'RESOLVED' } }, included: [] },
        },
        {
          status: 200,
          body: { data: { id: 'case-1', type: 'case', attributes: { key: 'ET-1', status: 'OPEN' } } },
        },
        { status: 200, body: { data: { id: 'team-1', type: 'team', attributes: { handle: 'core' } } } },
        { status: 200, body: { data: { id: 'u1', type: 'users', attributes: { name: 'Ana' } } } },
      ),
    );
    expect(await api.getIssue(ISSUE_ID)).toEqual({
      data: { id: ISSUE_ID, type: 'issue', attributes: { state: 'RESOLVED' } },
      included: [],
    });
    expect(await api.getCase('ET-1')).toEqual({
      id: 'case-1',
      type: 'case',
      attributes: { key: 'ET-1', status: 'OPEN' },
    });
    expect(await api.getTeam('team-1')).toEqual({
      id: 'team-1',
      type: 'team',
      attributes: { handle: 'core' },
    });
    expect(await api.getUser('u1')).toEqual({ id: 'u1', type: 'users', attributes: { name: 'Ana' } });
  });

  it('never has more requests in flight than its concurrency', async () => {
    const total = 10;
    const concurrency = 3;
    let received = 0;
    let held: Array<() => void> = [];
    // Holds requests until a full batch is in flight, so the server sees the true maximum.
    const respond: Responder = async (request) => {
      received += 1;
      const id = decodeURIComponent(request.url.split('/').pop() ?? '');
      const released = new Promise<void>((resolve) => held.push(resolve));
      if (held.length === concurrency || received === total) {
        const batch = held;
        held = [];
        for (const release of batch) release();
      }
      await released;
      return { status: 200, body: { data: { id, type: 'users', attributes: {} } } };
    };
    const { api, server } = await setup(respond, { concurrency });
    const users = await Promise.all(Array.from({ length: total }, (_, index) => api.getUser(`u${index}`)));
    expect(users.map((user) => user?.id)).toEqual(Array.from({ length: total }, (_, index) => `u${index}`));
    expect(server.requests).toHaveLength(total);
    expect(server.maxInFlight).toBe(concurrency);
  });
});
