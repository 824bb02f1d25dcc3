import { describe, expect, it } from 'vitest';
import { createRateLimitPacer, createWaitMeter } from '../../lib/datadog/pacing';

function rateLimitHeaders(values: {
  limit?: number;
  period?: number;
  remaining?: number;
  reset?: number;
  name?: string;
}) {
  const headers = new Headers();
  if (values.limit !== undefined) headers.set('X-RateLimit-Limit', String(values.limit));
  if (values.period !== undefined) headers.set('X-RateLimit-Period', String(values.period));
  if (values.remaining !== undefined) headers.set('X-RateLimit-Remaining', String(values.remaining));
  if (values.reset !== undefined) headers.set('X-RateLimit-Reset', String(values.reset));
  if (values.name !== undefined) headers.set('X-RateLimit-Name', values.name);
  return headers;
}

function setup(concurrency = 1) {
  const clock = { time: 1_000_000 };
  const pacer = createRateLimitPacer({ now: () => clock.time, random: () => 0, concurrency });
  /** Sends one request through the pacer and completes it with the given headers. */
  const observe = (route: string, headers: Headers, rateLimited = false) => {
    const { ticket } = pacer.reserve(route);
    pacer.complete(ticket, route, headers, rateLimited);
  };
  return { clock, pacer, observe };
}

describe('createRateLimitPacer', () => {
  it('sends at once while nothing is known about the limit', () => {
    const { pacer } = setup();
    expect([pacer.reserve('search').waitMs, pacer.reserve('search').waitMs]).toEqual([0, 0]);
  });

  it('sends at once while plenty of budget remains', () => {
    const { pacer, observe } = setup();
    observe('search', rateLimitHeaders({ limit: 100, period: 60, remaining: 50, reset: 30 }));
    expect(pacer.reserve('search')).toMatchObject({ waitMs: 0, reason: undefined });
  });

  it('spreads the last requests of a period evenly over the time to the reset', () => {
    const { pacer, observe } = setup();
    observe('search', rateLimitHeaders({ limit: 100, period: 60, remaining: 5, reset: 10 }));
    const waits = Array.from({ length: 5 }, () => pacer.reserve('search').waitMs);
    expect(waits).toEqual([0, 2000, 4000, 6000, 8000]);
    // The budget is now spent: the next request waits for the reset plus a small margin.
    expect(pacer.reserve('search')).toMatchObject({ waitMs: 10_100, reason: 'exhausted' });
  });

  it('waits for the reset when the budget is spent', () => {
    const { pacer, observe } = setup();
    observe('search', rateLimitHeaders({ limit: 100, period: 60, remaining: 0, reset: 42 }));
    expect(pacer.reserve('search')).toMatchObject({ waitMs: 42_100, reason: 'exhausted' });
  });

  it('counts requests in flight against the remaining budget', () => {
    const { pacer, observe } = setup(4);
    observe('search', rateLimitHeaders({ limit: 3, period: 10, remaining: 3, reset: 5 }));
    const waits = Array.from({ length: 4 }, () => pacer.reserve('search').waitMs);
    expect(waits[3]).toBe(5100);
  });

  it('starts a fresh budget once the period has reset', () => {
    const { clock, pacer, observe } = setup();
    observe('search', rateLimitHeaders({ limit: 100, period: 60, remaining: 0, reset: 10 }));
    clock.time += 10_000;
    expect(pacer.reserve('search').waitMs).toBe(0);
    expect(pacer.snapshot('search')).toMatchObject({ remaining: 100, resetAt: 1_000_000 + 70_000 });
  });

  it('keeps the lowest remaining count when responses of one period arrive out of order', () => {
    const { clock, pacer, observe } = setup();
    observe('search', rateLimitHeaders({ limit: 100, period: 60, remaining: 3, reset: 20 }));
    clock.time += 300;
    observe('search', rateLimitHeaders({ limit: 100, period: 60, remaining: 9, reset: 20 }));
    expect(pacer.snapshot('search')?.remaining).toBe(3);
    // A response of the next period replaces the old one.
    clock.time += 20_000;
    observe('search', rateLimitHeaders({ limit: 100, period: 60, remaining: 99, reset: 59 }));
    expect(pacer.snapshot('search')?.remaining).toBe(99);
  });

  it('trusts a reset sooner than its estimate unless it lies in the past', () => {
    const { clock, pacer, observe } = setup();
    observe('search', rateLimitHeaders({ limit: 100, period: 3600, remaining: 0, reset: 3000 }));
    clock.time += 1000;
    // A late response from the period that just ended says the reset is now: stale, ignored.
    observe('search', rateLimitHeaders({ limit: 100, period: 3600, remaining: 0, reset: 1 }));
    expect(pacer.snapshot('search')?.resetAt).toBe(1_000_000 + 3_000_000);
    observe('search', rateLimitHeaders({ limit: 100, period: 3600, remaining: 0, reset: 20 }));
    expect(pacer.snapshot('search')?.resetAt).toBe(1_001_000 + 20_000);
  });

  it('treats a 429 as a spent budget and waits longer after each reset it misjudged', () => {
    const { clock, pacer, observe } = setup();
    observe('search', rateLimitHeaders({ limit: 100, period: 60, remaining: 50, reset: 8 }), true);
    // The margin after the reset grows from 100 ms by 300 ms per 429, up to 1.3 s.
    expect(pacer.reserve('search')).toMatchObject({ waitMs: 8400, reason: 'exhausted' });
    for (let count = 0; count < 6; count++) {
      clock.time += 10;
      observe('search', rateLimitHeaders({ limit: 100, period: 60, remaining: 0, reset: 8 }), true);
    }
    expect(pacer.reserve('search').waitMs).toBe(8000 + 1300);
  });

  it('shares one bucket between routes that report the same X-RateLimit-Name', () => {
    const { pacer, observe } = setup();
    observe('getIssue', rateLimitHeaders({ limit: 100, period: 60, remaining: 40, reset: 30, name: 'et' }));
    observe('getCase', rateLimitHeaders({ limit: 100, period: 60, remaining: 0, reset: 30, name: 'et' }));
    expect(pacer.reserve('getIssue')).toMatchObject({ reason: 'exhausted' });
    expect(pacer.snapshot('getCase')).toMatchObject({ name: 'et', remaining: 0 });
  });

  it('ignores responses without rate-limit headers', () => {
    const { pacer, observe } = setup();
    observe('search', new Headers({ 'content-type': 'application/json' }));
    expect(pacer.snapshot('search')).toBeUndefined();
    expect(pacer.reserve('search').waitMs).toBe(0);
  });

  it('releases cancelled reservations', () => {
    const { pacer, observe } = setup(4);
    observe('search', rateLimitHeaders({ limit: 2, period: 10, remaining: 1, reset: 5 }));
    pacer.cancel(pacer.reserve('search').ticket);
    expect(pacer.reserve('search').waitMs).toBe(0);
  });
});

describe('createWaitMeter', () => {
  it('counts overlapping waits once', async () => {
    const clock = { time: 0 };
    const meter = createWaitMeter(() => clock.time);
    let releaseFirst = () => {};
    let releaseSecond = () => {};
    const first = meter.track(() => new Promise<void>((resolve) => (releaseFirst = resolve)));
    clock.time = 100;
    const second = meter.track(() => new Promise<void>((resolve) => (releaseSecond = resolve)));
    clock.time = 300;
    releaseFirst();
    await first;
    clock.time = 400;
    releaseSecond();
    await second;
    expect(meter.totalMs).toBe(400);
    clock.time = 1000;
    await meter.track(() => Promise.resolve());
    expect(meter.totalMs).toBe(400);
  });
});
