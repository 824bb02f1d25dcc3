export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 500, capMs: 30_000 };

/**
 * Full-jitter exponential backoff: uniform in `[0, min(cap, base * 2^retryIndex))`. Full jitter spreads
 * the retries of concurrent calls that failed together, so they do not hit a recovering server in lockstep.
 * `retryIndex` is 0 for the first retry.
 */
export function backoffDelayMs(retryIndex: number, policy: BackoffPolicy, random: () => number): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(retryIndex, 30));
  return Math.floor(random() * ceiling);
}

/** Minimum wait after a 429, so a `X-RateLimit-Reset: 0` cannot turn retries into a busy loop. */
export const MIN_RATE_LIMIT_WAIT_MS = 500;
/** Upper bound of the random extra wait after a 429, so concurrent callers do not all return at once. */
export const RATE_LIMIT_JITTER_MS = 500;

/**
 * Wait after a 429: the bucket's reset time plus a little jitter; `undefined` when the headers do not say.
 * Datadog sends seconds until the reset; a value that can only be an epoch timestamp (as other APIs send)
 * is read as one, and `Retry-After` may also be an HTTP date, so neither turns into a wait of decades that
 * fails the call at once.
 */
export function rateLimitWaitMs(
  headers: Headers,
  random: () => number,
  now: () => number = Date.now,
): number | undefined {
  const waitMs =
    parseResetMs(headers.get('x-ratelimit-reset'), now) ?? parseRetryAfterMs(headers.get('retry-after'), now);
  if (waitMs === undefined) return undefined;
  return Math.max(MIN_RATE_LIMIT_WAIT_MS, waitMs) + Math.floor(random() * RATE_LIMIT_JITTER_MS);
}

/** Above this, a reset in seconds is an epoch timestamp (2001 onwards), not a time to wait. */
const EPOCH_SECONDS_FROM = 1_000_000_000;

function parseResetMs(value: string | null, now: () => number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0) return undefined;
  return seconds >= EPOCH_SECONDS_FROM ? Math.max(0, seconds * 1000 - now()) : seconds * 1000;
}

function parseRetryAfterMs(value: string | null, now: () => number): number | undefined {
  const asSeconds = parseResetMs(value, now);
  if (asSeconds !== undefined || value === null) return asSeconds;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now());
}

/** Statuses worth retrying: the server may answer differently a moment later. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

// Failures of the connection rather than of the request: the same request may well succeed on a new socket.
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

export interface NetworkFailure {
  /** Retrying may help. */
  transient: boolean;
  /** Short description for messages and events, e.g. `connection reset (ECONNRESET)`. */
  description: string;
}

/**
 * Classifies what `fetch` or reading a body threw. undici wraps socket errors in `TypeError('fetch failed')`
 * (or `'terminated'` when the body is cut off) with the system error as `cause`.
 */
export function classifyNetworkError(error: unknown): NetworkFailure {
  const codes = errorChain(error)
    .map((link) => link.code)
    .filter((code): code is string => typeof code === 'string');
  const messages = errorChain(error).map((link) => link.message);
  const code = codes.find((candidate) => TRANSIENT_NETWORK_CODES.has(candidate)) ?? codes[0];
  if (code === 'ENOTFOUND') {
    return { transient: false, description: 'host not found (ENOTFOUND)' };
  }
  if (code !== undefined && TRANSIENT_NETWORK_CODES.has(code)) {
    return { transient: true, description: `${describeCode(code)} (${code})` };
  }
  if (messages.some((message) => /socket hang up|other side closed/i.test(message))) {
    return { transient: true, description: 'connection closed by the server (socket hang up)' };
  }
  if (messages.some((message) => message === 'fetch failed' || message === 'terminated')) {
    const innermost = messages[messages.length - 1] ?? 'fetch failed';
    return { transient: true, description: `network error (${innermost})` };
  }
  return { transient: false, description: messages[0] ?? String(error) };
}

function describeCode(code: string): string {
  switch (code) {
    case 'ECONNRESET':
      return 'connection reset';
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return 'connection closed by the server';
    case 'EAI_AGAIN':
      return 'DNS lookup failed temporarily';
    default:
      return 'network error';
  }
}

function errorChain(error: unknown): Array<{ code?: unknown; message: string }> {
  const chain: Array<{ code?: unknown; message: string }> = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    if (typeof current !== 'object') {
      chain.push({ message: String(current) });
      break;
    }
    const link = current as { code?: unknown; message?: unknown; cause?: unknown };
    chain.push({ code: link.code, message: typeof link.message === 'string' ? link.message : '' });
    current = link.cause;
  }
  return chain;
}
