/**
 * Datadog-style rate limiting: a fixed number of requests per calendar-aligned period, reported on every
 * response through the `X-RateLimit-*` headers so a client can pace itself.
 */

export interface RateLimitOptions {
  /** Requests allowed per period. */
  limit: number;
  /** Period length in seconds; windows start at epoch multiples of it. */
  periodSeconds: number;
  /** Value of `X-RateLimit-Name`. Default `error_tracking`. */
  name?: string;
}

export interface RateLimitDecision {
  allowed: boolean;
  headers: Record<string, string>;
}

/** Reported when no limit is configured: headers are still sent, and this is never reached in practice. */
const UNLIMITED: Required<RateLimitOptions> = { limit: 1_000_000, periodSeconds: 10, name: 'error_tracking' };

export class RateLimiter {
  private readonly options: Required<RateLimitOptions>;
  private readonly enforced: boolean;
  private windowStart = Number.NaN;
  private used = 0;

  constructor(
    options: RateLimitOptions | undefined,
    private readonly now: () => number,
  ) {
    if (options && !(options.limit >= 0 && options.periodSeconds > 0)) {
      throw new RangeError('rateLimit needs limit >= 0 and periodSeconds > 0');
    }
    this.options = options ? { name: 'error_tracking', ...options } : UNLIMITED;
    this.enforced = options !== undefined;
  }

  /** Counts one request against the current window. */
  take(): RateLimitDecision {
    this.roll();
    this.used++;
    return { allowed: !this.enforced || this.used <= this.options.limit, headers: this.headers() };
  }

  /** Headers without counting a request (for responses that are not charged, such as 403). */
  peek(): Record<string, string> {
    this.roll();
    return this.headers();
  }

  private roll(): void {
    const periodMs = this.options.periodSeconds * 1000;
    const windowStart = Math.floor(this.now() / periodMs) * periodMs;
    if (windowStart !== this.windowStart) {
      this.windowStart = windowStart;
      this.used = 0;
    }
  }

  private headers(): Record<string, string> {
    const periodMs = this.options.periodSeconds * 1000;
    const resetSeconds = Math.max(1, Math.ceil((this.windowStart + periodMs - this.now()) / 1000));
    return {
      'x-ratelimit-limit': String(this.options.limit),
      'x-ratelimit-period': String(this.options.periodSeconds),
      'x-ratelimit-remaining': String(Math.max(0, this.options.limit - this.used)),
      'x-ratelimit-reset': String(resetSeconds),
      'x-ratelimit-name': this.options.name,
    };
  }
}
