import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ClientEvent, createDatadogClient, type DatadogClientOptions } from '../../lib/datadog/client';
import { DatadogApiError, DatadogAuthError, DatadogMalformedResponseError } from '../../lib/datadog/errors';
import type { FetchFunction } from '../../lib/datadog/http';
import { ConfigError } from '../../lib/errors';

const API_KEY = 'apikey-0123456789abcdef0123456789abcdef';
const APP_KEY = 'appkey-fedcba9876543210fedcba9876543210fedcba98';
const SEARCH = { query: 'service:orders', from: 0, to: 1000, track: 'trace' as const };
const EMPTY_SEARCH = { data: [] };

type Step = (url: string, init: RequestInit) => Response | Promise<Response>;

function json(status: number, body: unknown, headers: Record<string, string> = {}): Step {
  return () =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json', ...headers },
    });
}

function networkError(code: string): Step {
  return () => {
    throw Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error(`read ${code}`), { code }),
    });
  };
}

/** Answers with the given steps in order; records every call. */
function fakeFetch(...steps: Step[]) {
  const calls: Array<{ url: string; init: RequestInit }> = [];
  const fetchFunction: FetchFunction = async (url, init) => {
    calls.push({ url, init });
    const step = steps[calls.length - 1];
    if (!step) throw new Error(`unexpected request ${calls.length}`);
    return step(url, init);
  };
  return { fetchFunction, calls };
}

/** Deterministic uniform numbers in [0, 1) (a linear congruential generator). */
function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

/** Virtual time that only moves when the client sleeps: sequential retry tests need no timers. */
function virtualClock() {
  const clock = { time: 10_000, sleeps: [] as number[] };
  return {
    clock,
    now: () => clock.time,
    sleep: async (milliseconds: number) => {
      clock.sleeps.push(milliseconds);
      clock.time += milliseconds;
    },
  };
}

function client(fetchFunction: FetchFunction, overrides: Partial<DatadogClientOptions> = {}) {
  const events: ClientEvent[] = [];
  const { now, sleep, clock } = virtualClock();
  const api = createDatadogClient({
    baseUrl: 'https://api.datadoghq.com',
    apiKey: API_KEY,
    appKey: APP_KEY,
    fetch: fetchFunction,
    now,
    sleep,
    random: () => 0.5,
    onEvent: (event) => events.push(event),
    ...overrides,
  });
  return { api, events, clock };
}

describe('createDatadogClient retries', () => {
  it('backs off exponentially with full jitter between retries of 5xx', async () => {
    const { fetchFunction, calls } = fakeFetch(
      json(500, { errors: ['Internal Server Error'] }),
      json(503, { errors: ['Service Unavailable'] }),
      json(504, {}),
      json(200, EMPTY_SEARCH),
    );
    const { api, events, clock } = client(fetchFunction, { random: () => 0.75 });
    await expect(api.searchIssues(SEARCH)).resolves.toEqual(EMPTY_SEARCH);
    expect(calls).toHaveLength(4);
    expect(clock.sleeps).toEqual([375, 750, 1500]);
    expect(events).toEqual([
      {
        type: 'retry',
        operation: 'searchIssues',
        attempt: 1,
        delayMs: 375,
        reason: '500 Internal Server Error: Internal Server Error',
        status: 500,
      },
      {
        type: 'retry',
        operation: 'searchIssues',
        attempt: 2,
        delayMs: 750,
        reason: '503 Service Unavailable: Service Unavailable',
        status: 503,
      },
      {
        type: 'retry',
        operation: 'searchIssues',
        attempt: 3,
        delayMs: 1500,
        reason: '504 Gateway Timeout: {}',
        status: 504,
      },
    ]);
    expect(api.stats).toEqual({ requests: 4, searches: 1, retries: 3, rateLimited: 0, throttledMs: 0 });
  });

  it('keeps every delay below the doubling ceiling and the cap', async () => {
    const steps = Array.from({ length: 10 }, () => json(502, {}));
    const { fetchFunction } = fakeFetch(...steps, json(200, EMPTY_SEARCH));
    const { api, clock } = client(fetchFunction, {
      random: () => 0.999_999,
      maxRetries: 10,
      callDeadlineMs: 10 * 60_000,
    });
    await api.searchIssues(SEARCH);
    expect(clock.sleeps.map((delay) => delay + 1)).toEqual([
      500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000,
    ]);
  });

  it('gives up after maxRetries with the last failure in one line', async () => {
    const { fetchFunction, calls } = fakeFetch(
      ...Array.from({ length: 3 }, () =>
        json(503, { errors: [{ title: 'Service Unavailable', detail: 'try\nlater' }] }),
      ),
    );
    const { api } = client(fetchFunction, { maxRetries: 2 });
    const error = await api.searchIssues(SEARCH).catch((caught: unknown) => caught);
    expect(calls).toHaveLength(3);
    expect(error).toBeInstanceOf(DatadogApiError);
    expect((error as DatadogApiError).message).toBe(
      'Datadog API POST /api/v2/error-tracking/issues/search failed after 3 attempts: ' +
        '503 Service Unavailable: Service Unavailable: try later',
    );
    expect((error as DatadogApiError).exitCode).toBe(1);
    expect((error as DatadogApiError).status).toBe(503);
  });

  it('stops when the next retry would pass the call deadline', async () => {
    const { fetchFunction, calls } = fakeFetch(...Array.from({ length: 10 }, () => json(500, {})));
    const { api, clock } = client(fetchFunction, {
      random: () => 0.999,
      backoffBaseMs: 2000,
      callDeadlineMs: 10_000,
    });
    const error = await api
      .getIssue('c1726a66-1f64-11ee-b338-da7ad0900002')
      .catch((caught: unknown) => caught);
    // Delays 1998 and 3996 fit in 10 s; the third (7992) would end after it.
    expect(clock.sleeps).toEqual([1998, 3996]);
    expect(calls).toHaveLength(3);
    expect((error as Error).message).toBe(
      'Datadog API GET /api/v2/error-tracking/issues/c1726a66-1f64-11ee-b338-da7ad0900002 failed after 3 attempts ' +
        'in 6 s, as the next retry would pass the 10 s call deadline: 500 Internal Server Error: {}',
    );
  });

  it('retries network errors and fails fast on an unknown host', async () => {
    const reset = fakeFetch(
      networkError('ECONNRESET'),
      networkError('ECONNREFUSED'),
      json(200, EMPTY_SEARCH),
    );
    const { api, events } = client(reset.fetchFunction);
    await expect(api.searchIssues(SEARCH)).resolves.toEqual(EMPTY_SEARCH);
    expect(events.map((event) => (event.type === 'retry' ? event.reason : event.type))).toEqual([
      'connection reset (ECONNRESET)',
      'connection refused (ECONNREFUSED)',
    ]);

    const unknownHost = fakeFetch(networkError('ENOTFOUND'));
    const error = await client(unknownHost.fetchFunction)
      .api.searchIssues(SEARCH)
      .catch((caught: unknown) => caught);
    expect(unknownHost.calls).toHaveLength(1);
    expect((error as DatadogApiError).message).toBe(
      'Cannot reach Datadog at https://api.datadoghq.com: host not found (ENOTFOUND); check DD_SITE or DD_API_URL',
    );
    expect((error as DatadogApiError).exitCode).toBe(2);
  });

  it('retries a malformed 200 and reports what was wrong when it persists', async () => {
    const truncated: Step = () => new Response('{"data":[{"id":"a","attrib', { status: 200 });
    const { fetchFunction, calls } = fakeFetch(
      truncated,
      json(200, { data: {} }),
      json(200, { data: 'nope' }),
    );
    const { api, events } = client(fetchFunction, { maxRetries: 2 });
    const error = await api.searchIssues(SEARCH).catch((caught: unknown) => caught);
    expect(calls).toHaveLength(3);
    expect(events.map((event) => (event.type === 'retry' ? event.reason : event.type))).toEqual([
      'the body is not valid JSON (truncated?)',
      'data is not an array',
    ]);
    expect(error).toBeInstanceOf(DatadogMalformedResponseError);
    expect((error as Error).message).toBe(
      'Datadog API POST /api/v2/error-tracking/issues/search returned a malformed response after 3 attempts: ' +
        'data is not an array',
    );
  });

  it('fails at once when the rate limit resets only after the call deadline', async () => {
    const exhaustedHeaders = {
      'X-RateLimit-Limit': '100',
      'X-RateLimit-Period': '3600',
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Reset': '600',
      'X-RateLimit-Name': 'error_tracking_search',
    };
    const { fetchFunction, calls } = fakeFetch(json(200, EMPTY_SEARCH, exhaustedHeaders));
    const { api, clock } = client(fetchFunction);
    await api.searchIssues(SEARCH);
    await expect(api.searchIssues(SEARCH)).rejects.toThrow(
      'Datadog API POST /api/v2/error-tracking/issues/search stopped after 0 attempts: rate limit ' +
        'error_tracking_search allows the next request in 601 s, past the 300 s call deadline',
    );
    expect(calls).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
    expect(api.stats).toMatchObject({ requests: 1, searches: 2, throttledMs: 0 });
  });

  it('does not retry other 4xx', async () => {
    const { fetchFunction, calls } = fakeFetch(
      json(400, { errors: [{ status: '400', title: 'Bad Request', detail: 'issue id is not an uuid' }] }),
    );
    const error = await client(fetchFunction)
      .api.getIssue('not-a-uuid')
      .catch((caught: unknown) => caught);
    expect(calls).toHaveLength(1);
    expect((error as DatadogApiError).message).toBe(
      'Datadog API error 400 Bad Request on GET /api/v2/error-tracking/issues/not-a-uuid: ' +
        'Bad Request: issue id is not an uuid',
    );
    expect((error as DatadogApiError).detail).toBe('Bad Request: issue id is not an uuid');
  });
});

describe('createDatadogClient with timers', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_700_000_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  async function settle<T>(promise: Promise<T>, stepMs = 100, maxSteps = 100_000): Promise<T> {
    let settled = false;
    const tracked = promise.finally(() => {
      settled = true;
    });
    for (let step = 0; step < maxSteps && !settled; step++) await vi.advanceTimersByTimeAsync(stepMs);
    return tracked;
  }

  it('waits for X-RateLimit-Reset after a 429 and counts it as throttled time', async () => {
    const { fetchFunction, calls } = fakeFetch(
      json(
        429,
        { errors: ['Too many requests'] },
        { 'X-RateLimit-Reset': '7', 'X-RateLimit-Remaining': '0' },
      ),
      json(200, EMPTY_SEARCH),
    );
    const events: ClientEvent[] = [];
    const api = createDatadogClient({
      baseUrl: 'https://api.datadoghq.com',
      apiKey: API_KEY,
      appKey: APP_KEY,
      fetch: fetchFunction,
      random: () => 0,
      onEvent: (event) => events.push(event),
    });
    const result = api.searchIssues(SEARCH);
    await vi.advanceTimersByTimeAsync(6999);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await expect(result).resolves.toEqual(EMPTY_SEARCH);
    expect(calls).toHaveLength(2);
    expect(events).toEqual([
      { type: 'rate-limited', operation: 'searchIssues', attempt: 1, delayMs: 7000, bucket: 'searchIssues' },
    ]);
    expect(api.stats).toEqual({ requests: 2, searches: 1, retries: 1, rateLimited: 1, throttledMs: 7000 });
  });

  it('aborts a request that exceeds the timeout and retries it', async () => {
    const hanging: Step = (_url, init) =>
      new Promise((_resolve, reject) => {
        init.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      });
    const { fetchFunction, calls } = fakeFetch(
      hanging,
      json(200, { data: { id: 't1', type: 'team', attributes: {} } }),
    );
    const events: ClientEvent[] = [];
    const api = createDatadogClient({
      baseUrl: 'https://api.datadoghq.com',
      apiKey: API_KEY,
      appKey: APP_KEY,
      fetch: fetchFunction,
      requestTimeoutMs: 1000,
      random: () => 0,
      onEvent: (event) => events.push(event),
    });
    const result = api.getTeam('t1');
    await vi.advanceTimersByTimeAsync(999);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await expect(settle(result)).resolves.toEqual({ id: 't1', type: 'team', attributes: {} });
    expect(calls).toHaveLength(2);
    expect(events).toEqual([
      {
        type: 'retry',
        operation: 'getTeam',
        attempt: 1,
        delayMs: 0,
        reason: 'request timed out after 1000 ms',
      },
    ]);
  });

  it('waits for the reset before sending when the budget is spent', async () => {
    const { fetchFunction, calls } = fakeFetch(
      json(200, EMPTY_SEARCH, {
        'X-RateLimit-Limit': '10',
        'X-RateLimit-Period': '60',
        'X-RateLimit-Remaining': '0',
        'X-RateLimit-Reset': '30',
      }),
      json(200, EMPTY_SEARCH),
    );
    const api = createDatadogClient({
      baseUrl: 'https://api.datadoghq.com',
      apiKey: API_KEY,
      appKey: APP_KEY,
      fetch: fetchFunction,
      random: () => 0,
    });
    await api.searchIssues(SEARCH);
    const second = api.searchIssues(SEARCH);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100);
    await expect(second).resolves.toEqual(EMPTY_SEARCH);
    expect(calls).toHaveLength(2);
    expect(api.stats.throttledMs).toBe(30_100);
    expect(api.stats.rateLimited).toBe(0);
  });

  /**
   * A long export against a server with a calendar-aligned limit: 400 searches, 4 at a time, limit 20 per
   * 10 s window. Ideal pacing needs 20 windows. Reports how close the client gets.
   */
  it.each(['ceil', 'floor'] as const)(
    'paces a long export close to the limit with no 429s after the first period (reset rounded with %s)',
    async (rounding) => {
      const limit = 20;
      const periodMs = 10_000;
      const windowCounts = new Map<number, number>();
      const latencyRandom = seededRandom(7);
      let tooMany = 0;
      let tooManyAfterFirstWindow = 0;
      let firstWindow: number | undefined;
      const fetchFunction: FetchFunction = (_url, init) =>
        new Promise((resolve, reject) => {
          const latencyMs = 40 + Math.floor(latencyRandom() * 40);
          const timer = setTimeout(() => {
            const at = Date.now();
            const window = Math.floor(at / periodMs);
            firstWindow ??= window;
            const used = (windowCounts.get(window) ?? 0) + 1;
            windowCounts.set(window, used);
            const untilReset = ((window + 1) * periodMs - at) / 1000;
            const headers = {
              'X-RateLimit-Limit': String(limit),
              'X-RateLimit-Period': String(periodMs / 1000),
              'X-RateLimit-Remaining': String(Math.max(0, limit - used)),
              'X-RateLimit-Reset': String(
                rounding === 'ceil' ? Math.ceil(untilReset) : Math.floor(untilReset),
              ),
              'X-RateLimit-Name': 'error_tracking',
            };
            if (used > limit) {
              tooMany += 1;
              if (window !== firstWindow) tooManyAfterFirstWindow += 1;
              resolve(new Response('{"errors":["Too many requests"]}', { status: 429, headers }));
            } else {
              resolve(new Response(JSON.stringify(EMPTY_SEARCH), { status: 200, headers }));
            }
          }, latencyMs);
          init.signal?.addEventListener('abort', () => {
            clearTimeout(timer);
            reject(init.signal?.reason);
          });
        });
      const api = createDatadogClient({
        baseUrl: 'https://api.datadoghq.com',
        apiKey: API_KEY,
        appKey: APP_KEY,
        fetch: fetchFunction,
        concurrency: 4,
        callDeadlineMs: 60 * 60_000,
        random: seededRandom(11),
      });
      const startedAt = Date.now();
      const total = 400;
      await settle(Promise.all(Array.from({ length: total }, () => api.searchIssues(SEARCH))));
      const elapsedMs = Date.now() - startedAt;
      const capacityUsed = total / ((elapsedMs / periodMs) * limit);
      console.info(
        `pacing (${rounding}): ${total} searches in ${(elapsedMs / 1000).toFixed(1)} s, ` +
          `${(capacityUsed * 100).toFixed(0)}% of the limit, ${tooMany} 429s, throttled ${api.stats.throttledMs} ms`,
      );
      expect(api.stats.searches).toBe(total);
      expect(api.stats.rateLimited).toBe(tooMany);
      // Rounding the reset down can cost a few 429s while the first period teaches the pacer; none after.
      expect(tooMany).toBeLessThanOrEqual(5);
      expect(tooManyAfterFirstWindow).toBe(0);
      expect(capacityUsed).toBeGreaterThan(0.85);
      expect(api.stats.throttledMs).toBeGreaterThan(0);
      expect(api.stats.throttledMs).toBeLessThanOrEqual(elapsedMs);
    },
  );
});

describe('createDatadogClient configuration', () => {
  it('requires both keys', () => {
    const base = { baseUrl: 'https://api.datadoghq.com', apiKey: API_KEY, appKey: APP_KEY };
    expect(() => createDatadogClient({ ...base, apiKey: '' })).toThrow(ConfigError);
    expect(() => createDatadogClient({ ...base, appKey: ' ' })).toThrow(
      'DD_APP_KEY is not set: set it to a Datadog application key',
    );
    expect(() => createDatadogClient({ ...base, concurrency: 0 })).toThrow(ConfigError);
  });
});

describe('secrets', () => {
  it('never puts a key in an error message, detail or event', async () => {
    const echo = `key ${API_KEY} and ${APP_KEY}`;
    const { fetchFunction } = fakeFetch(
      json(500, { errors: [echo] }),
      json(400, { errors: [{ title: 'Bad Request', detail: echo }] }),
      json(403, { errors: [echo] }),
      json(500, { errors: [echo] }),
    );
    const { api, events } = client(fetchFunction, { maxRetries: 0 });
    const errors = [
      await api.searchIssues(SEARCH).catch((caught: unknown) => caught),
      await api.searchIssues(SEARCH).catch((caught: unknown) => caught),
      await api.getCase('ET-1').catch((caught: unknown) => caught),
    ];
    const { api: retrying, events: retryEvents } = client(
      fakeFetch(json(500, { errors: [echo] }), json(200, EMPTY_SEARCH)).fetchFunction,
    );
    await retrying.searchIssues(SEARCH);
    expect(errors.map((error) => (error as Error).constructor.name)).toEqual([
      'DatadogApiError',
      'DatadogApiError',
      'DatadogAuthError',
    ]);
    const everything = JSON.stringify([
      errors.map((error) => ({
        ...(error as object),
        message: (error as Error).message,
        text: String(error),
      })),
      events,
      retryEvents,
    ]);
    expect(everything).toContain('[redacted]');
    expect(everything).not.toContain(API_KEY);
    expect(everything).not.toContain(APP_KEY);
    expect(retryEvents).toHaveLength(1);
    expect(errors[2]).toBeInstanceOf(DatadogAuthError);
  });
});
