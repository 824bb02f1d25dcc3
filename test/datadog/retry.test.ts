import { describe, expect, it } from 'vitest';
import {
  backoffDelayMs,
  classifyNetworkError,
  DEFAULT_BACKOFF,
  rateLimitWaitMs,
} from '../../lib/datadog/retry';

describe('backoffDelayMs', () => {
  it('doubles its ceiling on each retry up to the cap', () => {
    const almostOne = () => 0.999_999;
    const ceilings = Array.from(
      { length: 9 },
      (_, retry) => backoffDelayMs(retry, DEFAULT_BACKOFF, almostOne) + 1,
    );
    expect(ceilings).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  it('draws uniformly between zero and the ceiling (full jitter)', () => {
    expect(backoffDelayMs(3, DEFAULT_BACKOFF, () => 0)).toBe(0);
    expect(backoffDelayMs(3, DEFAULT_BACKOFF, () => 0.5)).toBe(2000);
    const samples = [0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.999].map((value) =>
      backoffDelayMs(2, { baseMs: 100, capMs: 10_000 }, () => value),
    );
    expect(samples).toEqual([0, 40, 100, 200, 300, 360, 399]);
  });

  it('stays finite for huge retry counts', () => {
    expect(backoffDelayMs(5000, DEFAULT_BACKOFF, () => 0.5)).toBe(15_000);
  });
});

describe('rateLimitWaitMs', () => {
  it('waits for X-RateLimit-Reset plus jitter', () => {
    expect(rateLimitWaitMs(new Headers({ 'x-ratelimit-reset': '7' }), () => 0)).toBe(7000);
    expect(rateLimitWaitMs(new Headers({ 'x-ratelimit-reset': '7' }), () => 0.5)).toBe(7250);
  });

  it('never waits less than half a second, so a reset of 0 cannot cause a busy loop', () => {
    expect(rateLimitWaitMs(new Headers({ 'x-ratelimit-reset': '0' }), () => 0)).toBe(500);
  });

  it('falls back to Retry-After and then to nothing', () => {
    expect(rateLimitWaitMs(new Headers({ 'retry-after': '3' }), () => 0)).toBe(3000);
    expect(rateLimitWaitMs(new Headers({ 'x-ratelimit-reset': 'soon' }), () => 0)).toBeUndefined();
    expect(rateLimitWaitMs(new Headers(), () => 0)).toBeUndefined();
  });

  it('reads a reset that can only be an epoch timestamp, and a Retry-After date, as instants', () => {
    const now = () => Date.UTC(2026, 0, 1);
    const inSeconds = (seconds: number) => String(now() / 1000 + seconds);
    expect(rateLimitWaitMs(new Headers({ 'x-ratelimit-reset': inSeconds(9) }), () => 0, now)).toBe(9000);
    // An instant already past waits the minimum, not a negative time.
    expect(rateLimitWaitMs(new Headers({ 'x-ratelimit-reset': inSeconds(-5) }), () => 0, now)).toBe(500);
    const date = new Date(now() + 4000).toUTCString();
    expect(rateLimitWaitMs(new Headers({ 'retry-after': date }), () => 0, now)).toBe(4000);
    expect(rateLimitWaitMs(new Headers({ 'retry-after': 'later' }), () => 0, now)).toBeUndefined();
  });
});

describe('classifyNetworkError', () => {
  const fetchFailed = (cause: object) => Object.assign(new TypeError('fetch failed'), { cause });

  it('retries resets, refusals and closed sockets', () => {
    expect(classifyNetworkError(fetchFailed({ code: 'ECONNRESET', message: 'read ECONNRESET' }))).toEqual({
      transient: true,
      description: 'connection reset (ECONNRESET)',
    });
    expect(
      classifyNetworkError(fetchFailed({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' })),
    ).toEqual({
      transient: true,
      description: 'connection refused (ECONNREFUSED)',
    });
    expect(
      classifyNetworkError(fetchFailed({ code: 'UND_ERR_SOCKET', message: 'other side closed' })).transient,
    ).toBe(true);
    expect(classifyNetworkError(new Error('socket hang up')).transient).toBe(true);
    expect(classifyNetworkError(new TypeError('terminated')).transient).toBe(true);
    expect(classifyNetworkError(fetchFailed({ message: 'something new' }))).toEqual({
      transient: true,
      description: 'network error (something new)',
    });
  });

  it('does not retry an unknown host or a programming error', () => {
    expect(
      classifyNetworkError(fetchFailed({ code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND x' })),
    ).toEqual({
      transient: false,
      description: 'host not found (ENOTFOUND)',
    });
    expect(classifyNetworkError(new RangeError('bad input')).transient).toBe(false);
  });
});
