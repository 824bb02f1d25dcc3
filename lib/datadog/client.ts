import { STATUS_CODES } from 'node:http';
import pLimit from 'p-limit';
import { ConfigError } from '../errors';
import type { ApiStats, ErrorTrackingApi } from './api';
import {
  DatadogApiError,
  type DatadogApiErrorDetails,
  DatadogAuthError,
  DatadogMalformedResponseError,
  oneLine,
  redactSecrets,
  summarizeErrorBody,
} from './errors';
import { type AttemptOutcome, type FetchFunction, sendOnce } from './http';
import { createRateLimitPacer, createWaitMeter } from './pacing';
import { backoffDelayMs, isRetryableStatus, MIN_RATE_LIMIT_WAIT_MS, rateLimitWaitMs } from './retry';
import {
  type CaseWire,
  ISSUE_INCLUDE,
  type IssueResponseWire,
  SEARCH_INCLUDE,
  type SearchRequestAttributes,
  type SearchRequestBody,
  type SearchResponseWire,
  type TeamWire,
  type UserWire,
} from './types';
import {
  type Validation,
  validateIssueResponse,
  validateSearchResponse,
  validateSingleResource,
} from './validate';

export type DatadogOperation = 'searchIssues' | 'getIssue' | 'getCase' | 'getTeam' | 'getUser';

/** Notifications for logs and metrics. They name operations, never keys. */
export type ClientEvent =
  | {
      type: 'retry';
      operation: DatadogOperation;
      /** The attempt that failed, starting at 1. */
      attempt: number;
      delayMs: number;
      reason: string;
      status?: number;
    }
  | { type: 'rate-limited'; operation: DatadogOperation; attempt: number; delayMs: number; bucket?: string }
  | {
      type: 'throttled';
      operation: DatadogOperation;
      delayMs: number;
      /** `exhausted`: waiting for the bucket to reset; `spread`: pacing the last requests of a period. */
      reason: 'exhausted' | 'spread';
      bucket?: string;
      limit?: number;
      remaining?: number;
    };

export interface DatadogClientOptions {
  /** From `resolveBaseUrl`, e.g. `https://api.datadoghq.com`. */
  baseUrl: string;
  apiKey: string;
  appKey: string;
  /** Requests in flight at once. Default 4. */
  concurrency?: number;
  /** Per HTTP attempt, including reading the body. Default 30 s. */
  requestTimeoutMs?: number;
  /** Per method call, including every retry and wait. Default 5 min. */
  callDeadlineMs?: number;
  /** Retries after transient failures; waits after a 429 do not count, the call deadline bounds those. */
  maxRetries?: number;
  /** Full-jitter backoff base and cap. Defaults 500 ms and 30 s. */
  backoffBaseMs?: number;
  backoffCapMs?: number;
  userAgent?: string;
  fetch?: FetchFunction;
  sleep?: (milliseconds: number) => Promise<void>;
  now?: () => number;
  /** Uniform in [0, 1), like `Math.random`. */
  random?: () => number;
  onEvent?: (event: ClientEvent) => void;
}

export const DEFAULT_CONCURRENCY = 4;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_CALL_DEADLINE_MS = 5 * 60_000;
export const DEFAULT_MAX_RETRIES = 6;
export const DEFAULT_USER_AGENT = 'error-tracking-export';

/** Application-key scope each operation needs, for the 401/403 message. */
const REQUIRED_SCOPE: Record<DatadogOperation, string> = {
  searchIssues: 'error_tracking_read',
  getIssue: 'error_tracking_read',
  getCase: 'cases_read',
  getTeam: 'teams_read',
  getUser: 'user_access_read',
};

interface CallSpec<T> {
  operation: DatadogOperation;
  method: 'GET' | 'POST';
  /** Path with ids already encoded, no query string. */
  path: string;
  query?: string;
  body?: string;
  validate(body: unknown): Validation<T>;
  /** GETs of a single resource answer 404 for an unknown id; that is data, not an error. */
  nullOnNotFound: boolean;
}

/** Why an attempt failed in a way worth retrying. */
interface RetryableFailure {
  reason: string;
  status?: number;
  malformed: boolean;
  rateLimited: boolean;
  delayMs: number;
}

type AttemptVerdict<T> = { kind: 'success'; value: T | null } | { kind: 'retry'; failure: RetryableFailure };

export function createDatadogClient(options: DatadogClientOptions): ErrorTrackingApi {
  if (!options.apiKey?.trim()) throw new ConfigError('DD_API_KEY is not set: set it to a Datadog API key');
  if (!options.appKey?.trim())
    throw new ConfigError('DD_APP_KEY is not set: set it to a Datadog application key');
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new ConfigError(`Datadog client concurrency must be a positive integer, got ${concurrency}`);
  }
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const callDeadlineMs = options.callDeadlineMs ?? DEFAULT_CALL_DEADLINE_MS;
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
  const backoff = { baseMs: options.backoffBaseMs ?? 500, capMs: options.backoffCapMs ?? 30_000 };
  const fetchFunction: FetchFunction = options.fetch ?? ((input, init) => fetch(input, init));
  const sleep =
    options.sleep ?? ((milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds)));
  const now = options.now ?? (() => Date.now());
  const random = options.random ?? Math.random;
  const secrets = [options.apiKey, options.appKey];
  const headers: Record<string, string> = {
    'DD-API-KEY': options.apiKey,
    'DD-APPLICATION-KEY': options.appKey,
    Accept: 'application/json',
    'User-Agent': options.userAgent ?? DEFAULT_USER_AGENT,
  };

  const stats: ApiStats = { requests: 0, searches: 0, retries: 0, rateLimited: 0, throttledMs: 0 };
  const limit = pLimit(concurrency);
  const pacer = createRateLimitPacer({ now, random, concurrency });
  const throttleMeter = createWaitMeter(now, (totalMs) => {
    stats.throttledMs = totalMs;
  });

  const redact = (text: string) => redactSecrets(text, secrets);
  const emit = (event: ClientEvent) => {
    if (!options.onEvent) return;
    options.onEvent(event.type === 'retry' ? { ...event, reason: redact(event.reason) } : event);
  };
  const apiError = (
    ErrorClass: typeof DatadogApiError | typeof DatadogMalformedResponseError,
    message: string,
    details: DatadogApiErrorDetails,
  ) =>
    new ErrorClass(redact(message), {
      ...details,
      detail: details.detail === undefined ? undefined : redact(details.detail),
    });

  async function execute<T>(call: CallSpec<T>): Promise<T | null> {
    const endpoint = `${call.method} ${call.path}`;
    const startedAt = now();
    const deadlineAt = startedAt + callDeadlineMs;
    let attempts = 0;
    let transientRetries = 0;
    for (;;) {
      attempts += 1;
      const outcome = await limit(() => sendPaced(call, endpoint, deadlineAt, attempts));
      const verdict = judge(call, endpoint, outcome, attempts, transientRetries);
      if (verdict.kind === 'success') return verdict.value;
      const { failure } = verdict;

      if (!failure.rateLimited) {
        if (transientRetries >= maxRetries) throw exhausted(endpoint, failure, attempts, undefined);
        transientRetries += 1;
      }
      if (now() + failure.delayMs >= deadlineAt) {
        throw exhausted(endpoint, failure, attempts, now() - startedAt);
      }
      stats.retries += 1;
      if (failure.rateLimited) {
        const bucket = pacer.snapshot(call.operation)?.name;
        emit({
          type: 'rate-limited',
          operation: call.operation,
          attempt: attempts,
          delayMs: failure.delayMs,
          bucket,
        });
        await throttleMeter.track(() => sleep(failure.delayMs));
      } else {
        emit({
          type: 'retry',
          operation: call.operation,
          attempt: attempts,
          delayMs: failure.delayMs,
          reason: failure.reason,
          status: failure.status,
        });
        await sleep(failure.delayMs);
      }
    }
  }

  /** Runs inside the concurrency limit: waits for the rate-limit pacer, then sends one attempt. */
  async function sendPaced<T>(
    call: CallSpec<T>,
    endpoint: string,
    deadlineAt: number,
    attempt: number,
  ): Promise<AttemptOutcome> {
    const reservation = pacer.reserve(call.operation);
    if (reservation.waitMs > 0 && reservation.reason) {
      if (now() + reservation.waitMs >= deadlineAt) {
        pacer.cancel(reservation.ticket);
        const seconds = Math.ceil(reservation.waitMs / 1000);
        const bucket = pacer.snapshot(call.operation)?.name ?? call.operation;
        throw apiError(
          DatadogApiError,
          `Datadog API ${endpoint} stopped after ${attempt - 1} attempts: rate limit ${bucket} allows the next request in ${seconds} s, past the ${formatSeconds(callDeadlineMs)} call deadline`,
          { endpoint, attempts: attempt - 1 },
        );
      }
      const bucket = pacer.snapshot(call.operation);
      emit({
        type: 'throttled',
        operation: call.operation,
        delayMs: reservation.waitMs,
        reason: reservation.reason,
        bucket: bucket?.name,
        limit: bucket?.limit,
        remaining: bucket?.remaining,
      });
      await throttleMeter.track(() => sleep(reservation.waitMs));
    }
    stats.requests += 1;
    let outcome: AttemptOutcome | undefined;
    try {
      outcome = await sendOnce(fetchFunction, {
        method: call.method,
        url: `${baseUrl}${call.path}${call.query ? `?${call.query}` : ''}`,
        headers: call.body === undefined ? headers : { ...headers, 'Content-Type': 'application/json' },
        body: call.body,
        // A retry late in the call gets only the time left before the deadline.
        timeoutMs: Math.max(1, Math.min(requestTimeoutMs, deadlineAt - now())),
      });
      return outcome;
    } finally {
      const responseHeaders = outcome?.kind === 'response' ? outcome.headers : undefined;
      const rateLimited = outcome?.kind === 'response' && outcome.status === 429;
      pacer.complete(reservation.ticket, call.operation, responseHeaders, rateLimited);
    }
  }

  function judge<T>(
    call: CallSpec<T>,
    endpoint: string,
    outcome: AttemptOutcome,
    attempts: number,
    transientRetries: number,
  ): AttemptVerdict<T> {
    const backoffMs = backoffDelayMs(transientRetries, backoff, random);
    if (outcome.kind === 'timeout') {
      return retry({ reason: `request timed out after ${outcome.timeoutMs} ms`, delayMs: backoffMs });
    }
    if (outcome.kind === 'network') {
      if (outcome.transient) return retry({ reason: outcome.description, delayMs: backoffMs });
      throw apiError(
        DatadogApiError,
        `Cannot reach Datadog at ${baseUrl}: ${outcome.description}; check DD_SITE or DD_API_URL`,
        { endpoint, attempts, exitCode: 2 },
      );
    }

    const { status } = outcome;
    const statusLine = `${status} ${STATUS_CODES[status] ?? 'Unknown Status'}`;
    if (status >= 200 && status < 300) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(outcome.body);
      } catch {
        const problem =
          outcome.body.trim() === '' ? 'the body is empty' : 'the body is not valid JSON (truncated?)';
        return retry({ reason: problem, status, malformed: true, delayMs: backoffMs });
      }
      const validation = call.validate(parsed);
      if (validation.ok) return { kind: 'success', value: validation.value };
      return retry({ reason: validation.problem, status, malformed: true, delayMs: backoffMs });
    }
    if (status === 404 && call.nullOnNotFound) return { kind: 'success', value: null };

    const detail = summarizeErrorBody(outcome.body, outcome.headers.get('content-type'));
    if (status === 401 || status === 403) {
      throw new DatadogAuthError(
        redact(
          `Datadog rejected the API or application key (${statusLine}) at ${baseUrl}: check DD_API_KEY and DD_APP_KEY (keys work only on their own DD_SITE), and that the application key has the ${REQUIRED_SCOPE[call.operation]} scope`,
        ),
        { endpoint, status, detail: detail === undefined ? undefined : redact(detail), attempts },
      );
    }
    if (status === 429) {
      stats.rateLimited += 1;
      const delayMs =
        rateLimitWaitMs(outcome.headers, random, now) ??
        Math.max(MIN_RATE_LIMIT_WAIT_MS, backoffDelayMs(transientRetries, backoff, random));
      return retry({ reason: statusLine, status, rateLimited: true, delayMs });
    }
    if (isRetryableStatus(status)) {
      return retry({ reason: detail ? `${statusLine}: ${detail}` : statusLine, status, delayMs: backoffMs });
    }
    throw apiError(
      DatadogApiError,
      `Datadog API error ${statusLine} on ${endpoint}${detail ? `: ${detail}` : ''}`,
      { endpoint, status, detail, attempts },
    );
  }

  function exhausted(
    endpoint: string,
    failure: RetryableFailure,
    attempts: number,
    elapsedMs: number | undefined,
  ): DatadogApiError {
    const why =
      elapsedMs === undefined
        ? `after ${attempts} attempts`
        : `after ${attempts} attempts in ${formatSeconds(elapsedMs)}, as the next retry would pass the ${formatSeconds(callDeadlineMs)} call deadline`;
    const details = { endpoint, status: failure.status, attempts };
    if (failure.malformed) {
      return apiError(
        DatadogMalformedResponseError,
        `Datadog API ${endpoint} returned a malformed response ${why}: ${failure.reason}`,
        { ...details, detail: failure.reason },
      );
    }
    return apiError(DatadogApiError, `Datadog API ${endpoint} failed ${why}: ${oneLine(failure.reason)}`, {
      ...details,
      detail: failure.reason,
    });
  }

  return {
    stats,

    searchIssues(attributes: SearchRequestAttributes): Promise<SearchResponseWire> {
      stats.searches += 1;
      const body: SearchRequestBody = { data: { type: 'search_request', attributes } };
      return execute({
        operation: 'searchIssues',
        method: 'POST',
        path: '/api/v2/error-tracking/issues/search',
        query: `include=${SEARCH_INCLUDE}`,
        body: JSON.stringify(body),
        validate: validateSearchResponse,
        nullOnNotFound: false,
      }) as Promise<SearchResponseWire>;
    },

    getIssue(issueId: string): Promise<IssueResponseWire | null> {
      return execute({
        operation: 'getIssue',
        method: 'GET',
        path: `/api/v2/error-tracking/issues/${encodeURIComponent(issueId)}`,
        query: `include=${ISSUE_INCLUDE}`,
        validate: validateIssueResponse,
        nullOnNotFound: true,
      });
    },

    getCase(caseId: string): Promise<CaseWire | null> {
      return execute({
        operation: 'getCase',
        method: 'GET',
        path: `/api/v2/cases/${encodeURIComponent(caseId)}`,
        validate: (body) => validateSingleResource<CaseWire>(body, 'case'),
        nullOnNotFound: true,
      });
    },

    getTeam(teamId: string): Promise<TeamWire | null> {
      return execute({
        operation: 'getTeam',
        method: 'GET',
        path: `/api/v2/team/${encodeURIComponent(teamId)}`,
        validate: (body) => validateSingleResource<TeamWire>(body, 'team'),
        nullOnNotFound: true,
      });
    },

    getUser(userId: string): Promise<UserWire | null> {
      return execute({
        operation: 'getUser',
        method: 'GET',
        path: `/api/v2/users/${encodeURIComponent(userId)}`,
        validate: (body) => validateSingleResource<UserWire>(body, 'users'),
        nullOnNotFound: true,
      });
    },
  };
}

function retry<T>(
  failure: Partial<RetryableFailure> & { reason: string; delayMs: number },
): AttemptVerdict<T> {
  return { kind: 'retry', failure: { malformed: false, rateLimited: false, ...failure } };
}

function formatSeconds(milliseconds: number): string {
  return `${Number((milliseconds / 1000).toFixed(1))} s`;
}
