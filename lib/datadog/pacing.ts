/**
 * Proactive rate-limit pacing, shared by every concurrent call of one client.
 *
 * Datadog publishes no limit for these endpoints, so the pacer learns it from the `X-RateLimit-*` headers
 * of each response, per `X-RateLimit-Name` bucket. While plenty of budget remains, requests go out at
 * once (small exports stay fast); once the budget gets low, the remaining requests are spread evenly over
 * the time left in the period; when it is spent, requests wait for the reset. A long export then runs at
 * close to the limit without collecting 429s.
 *
 * The pacer only computes waits; the caller sleeps. That keeps it synchronous, so concurrent reservations
 * cannot interleave and the arithmetic is testable without timers.
 */

export interface PacerOptions {
  now: () => number;
  random: () => number;
  /** The client's concurrency: that many requests may be in flight, unseen in any `Remaining` header. */
  concurrency: number;
}

/** What a bucket is known to allow, for logs and tests. */
export interface BucketSnapshot {
  name: string;
  limit: number | undefined;
  periodMs: number | undefined;
  remaining: number;
  /** Epoch milliseconds. */
  resetAt: number;
  inFlight: number;
}

export interface Reservation {
  /** Milliseconds to wait before sending; 0 to send now. */
  waitMs: number;
  /** Why the wait: `exhausted` waits for the reset, `spread` paces the last requests of a period. */
  reason: 'exhausted' | 'spread' | undefined;
  /** Pass back to `complete` or `cancel`. */
  ticket: PacingTicket;
}

export interface PacingTicket {
  readonly bucket: BucketState;
  /** The bucket's send schedule before and after this reservation, so a cancel can give the slot back. */
  readonly scheduleBefore: number;
  readonly scheduleAfter: number;
}

export interface RateLimitPacer {
  reserve(routeKey: string): Reservation;
  /** Records the response (or its absence) of a reserved request. */
  complete(ticket: PacingTicket, routeKey: string, headers: Headers | undefined, rateLimited: boolean): void;
  /** The request was not sent after all. */
  cancel(ticket: PacingTicket): void;
  snapshot(routeKey: string): BucketSnapshot | undefined;
}

interface BucketState {
  name: string;
  known: boolean;
  /** Set after the pacer rolled a period over by itself; the next observation replaces it outright. */
  estimated: boolean;
  limit: number | undefined;
  periodMs: number | undefined;
  remaining: number;
  resetAt: number;
  inFlight: number;
  nextSendAt: number;
  resetMarginMs: number;
}

/** Fraction of the limit below which the pacer starts spreading requests. */
const LOW_BUDGET_FRACTION = 0.1;
/** `X-RateLimit-Reset` has whole seconds, so two readings of one period can differ by about a second. */
const SAME_PERIOD_TOLERANCE_MS = 1_500;
/**
 * Waiting for a reset ends slightly after it, so the first request of the new period is not early. The
 * margin grows with each 429, which learns how `X-RateLimit-Reset` is rounded (down costs up to a second).
 */
const INITIAL_RESET_MARGIN_MS = 100;
const RESET_MARGIN_STEP_MS = 300;
const MAX_RESET_MARGIN_MS = 1_300;
const RESET_JITTER_MS = 400;

export function createRateLimitPacer(options: PacerOptions): RateLimitPacer {
  const { now, random } = options;
  const buckets = new Map<string, BucketState>();
  const routeToBucket = new Map<string, string>();

  function bucketForRoute(routeKey: string): BucketState {
    const key = routeToBucket.get(routeKey) ?? `route:${routeKey}`;
    let bucket = buckets.get(key);
    if (!bucket) {
      bucket = {
        name: routeKey,
        known: false,
        estimated: false,
        limit: undefined,
        periodMs: undefined,
        remaining: Number.POSITIVE_INFINITY,
        resetAt: 0,
        inFlight: 0,
        nextSendAt: 0,
        resetMarginMs: INITIAL_RESET_MARGIN_MS,
      };
      buckets.set(key, bucket);
      routeToBucket.set(routeKey, key);
    }
    return bucket;
  }

  function rollOverIfReset(bucket: BucketState, at: number): void {
    if (!bucket.known || at < bucket.resetAt) return;
    // Periods are calendar-aligned, so the next one starts exactly one period after this reset.
    if (bucket.periodMs !== undefined && bucket.periodMs > 0 && bucket.limit !== undefined) {
      const periodsPassed = Math.floor((at - bucket.resetAt) / bucket.periodMs) + 1;
      bucket.resetAt += periodsPassed * bucket.periodMs;
      bucket.remaining = bucket.limit;
      bucket.estimated = true;
    } else {
      bucket.known = false;
      bucket.remaining = Number.POSITIVE_INFINITY;
    }
    bucket.nextSendAt = at;
  }

  function lowBudgetThreshold(bucket: BucketState): number {
    const fromLimit = bucket.limit === undefined ? 0 : Math.ceil(bucket.limit * LOW_BUDGET_FRACTION);
    return Math.max(2 * options.concurrency, fromLimit);
  }

  return {
    reserve(routeKey) {
      const bucket = bucketForRoute(routeKey);
      const at = now();
      rollOverIfReset(bucket, at);
      const available = bucket.remaining - bucket.inFlight;
      const scheduleBefore = bucket.nextSendAt;
      const ticket = (): PacingTicket => ({ bucket, scheduleBefore, scheduleAfter: bucket.nextSendAt });
      bucket.inFlight += 1;
      if (!bucket.known || available > lowBudgetThreshold(bucket)) {
        bucket.nextSendAt = at;
        return { waitMs: 0, reason: undefined, ticket: ticket() };
      }
      if (available <= 0) {
        const waitMs =
          Math.max(0, bucket.resetAt - at) + bucket.resetMarginMs + Math.floor(random() * RESET_JITTER_MS);
        return { waitMs, reason: 'exhausted', ticket: ticket() };
      }
      // Evenly spaced: each reservation takes 1/available of the time left after the previous one.
      const sendAt = Math.max(at, bucket.nextSendAt);
      bucket.nextSendAt = sendAt + Math.max(0, bucket.resetAt - sendAt) / available;
      const waitMs = Math.round(sendAt - at);
      return { waitMs, reason: waitMs > 0 ? 'spread' : undefined, ticket: ticket() };
    },

    complete(ticket, routeKey, headers, rateLimited) {
      ticket.bucket.inFlight = Math.max(0, ticket.bucket.inFlight - 1);
      if (!headers) return;
      const at = now();
      const name = headers.get('x-ratelimit-name')?.trim();
      let bucket = ticket.bucket;
      if (name) {
        const key = `bucket:${name}`;
        const existing = buckets.get(key);
        if (existing) {
          bucket = existing;
        } else {
          buckets.set(key, bucket);
          bucket.name = name;
        }
        routeToBucket.set(routeKey, key);
      }
      observe(bucket, headers, rateLimited, at);
    },

    cancel(ticket) {
      ticket.bucket.inFlight = Math.max(0, ticket.bucket.inFlight - 1);
      if (ticket.bucket.nextSendAt === ticket.scheduleAfter) ticket.bucket.nextSendAt = ticket.scheduleBefore;
    },

    snapshot(routeKey) {
      const key = routeToBucket.get(routeKey);
      const bucket = key === undefined ? undefined : buckets.get(key);
      if (!bucket?.known) return undefined;
      const { name, limit, periodMs, remaining, resetAt, inFlight } = bucket;
      return { name, limit, periodMs, remaining, resetAt, inFlight };
    },
  };
}

function observe(bucket: BucketState, headers: Headers, rateLimited: boolean, at: number): void {
  const limit = parseCount(headers.get('x-ratelimit-limit'));
  const periodSeconds = parseCount(headers.get('x-ratelimit-period'));
  const remainingHeader = parseCount(headers.get('x-ratelimit-remaining'));
  const resetSeconds = parseCount(headers.get('x-ratelimit-reset'));
  if (rateLimited)
    bucket.resetMarginMs = Math.min(MAX_RESET_MARGIN_MS, bucket.resetMarginMs + RESET_MARGIN_STEP_MS);
  if (limit !== undefined) bucket.limit = limit;
  if (periodSeconds !== undefined) bucket.periodMs = periodSeconds * 1000;

  if (resetSeconds === undefined || (remainingHeader === undefined && !rateLimited)) {
    // A 429 without usable headers still means the budget is gone until the known reset.
    if (rateLimited && bucket.known && at < bucket.resetAt) bucket.remaining = 0;
    return;
  }
  const remaining = rateLimited ? 0 : (remainingHeader ?? 0);
  const resetAt = resetInstant(resetSeconds, bucket.periodMs, at);

  if (!bucket.known || bucket.estimated || resetAt > bucket.resetAt + SAME_PERIOD_TOLERANCE_MS) {
    bucket.known = true;
    bucket.estimated = false;
    bucket.remaining = remaining;
    bucket.resetAt = resetAt;
    bucket.nextSendAt = Math.min(bucket.nextSendAt, resetAt);
  } else if (resetAt >= bucket.resetAt - SAME_PERIOD_TOLERANCE_MS) {
    // Same period: responses arrive out of order, and the lowest count is the freshest.
    bucket.remaining = Math.min(bucket.remaining, remaining);
    bucket.resetAt = Math.max(bucket.resetAt, resetAt);
  } else if (resetAt > at + SAME_PERIOD_TOLERANCE_MS) {
    // The server puts the reset well before the estimate, and not in the past: the estimate was wrong.
    bucket.remaining = remaining;
    bucket.resetAt = resetAt;
    bucket.nextSendAt = Math.min(bucket.nextSendAt, resetAt);
  }
  // Otherwise the response was sent in a period that has already ended.
}

/** Datadog sends seconds until the reset; a value that can only be an epoch timestamp is read as one. */
function resetInstant(resetSeconds: number, periodMs: number | undefined, at: number): number {
  const looksLikeEpoch = resetSeconds > 1_000_000_000 && resetSeconds * 1000 > (periodMs ?? 0) * 2;
  return looksLikeEpoch ? resetSeconds * 1000 : at + resetSeconds * 1000;
}

function parseCount(value: string | null): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) && parsed >= 0 ? parsed : undefined;
}

/**
 * Wall-clock time during which at least one call was waiting on the rate limit. Overlapping waits of
 * concurrent calls count once, so the total never exceeds the run's duration.
 */
export interface WaitMeter {
  /** Starts `wait` and counts the time until it settles. */
  track<T>(wait: () => Promise<T>): Promise<T>;
  readonly totalMs: number;
}

export function createWaitMeter(now: () => number, onUpdate?: (totalMs: number) => void): WaitMeter {
  let waiting = 0;
  let waitingSince = 0;
  let totalMs = 0;
  return {
    async track(wait) {
      if (waiting === 0) waitingSince = now();
      waiting += 1;
      try {
        return await wait();
      } finally {
        waiting -= 1;
        if (waiting === 0) {
          totalMs += Math.max(0, now() - waitingSince);
          onUpdate?.(totalMs);
        }
      }
    },
    get totalMs() {
      return totalMs + (waiting > 0 ? Math.max(0, now() - waitingSince) : 0);
    },
  };
}
