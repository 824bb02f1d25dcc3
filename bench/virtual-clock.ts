/**
 * A clock shared by the client (its `now`/`sleep`), the simulator's rate limiter (its `now`) and the
 * pipeline, so that hours of rate-limit pacing run in seconds while the requests still go over real HTTP.
 *
 * Virtual time passes with real time, and skips ahead only when every actor is idle: some call sleeps and
 * no HTTP exchange is in flight (the wrapped `fetch` counts them, body included). It then jumps to the
 * earliest wake-up and wakes sleepers in wake-up order. So no sleeper ever wakes early, requests that pace
 * against a reset cannot pile up in one instant, and time between requests is never shortened.
 */
import type { FetchFunction } from '../lib/datadog/http';

export interface VirtualClock {
  now(): number;
  sleep(milliseconds: number): Promise<void>;
  /** Wraps a fetch so the clock knows when HTTP exchanges are in flight. */
  trackFetch(fetchFunction: FetchFunction): FetchFunction;
  /** Virtual milliseconds skipped while idle. */
  readonly skippedMs: number;
}

interface Sleeper {
  readonly wakeAt: number;
  readonly order: number;
  readonly wake: () => void;
}

export function createVirtualClock(startAt: number): VirtualClock {
  const realStart = performance.now();
  let offset = 0;
  let skippedMs = 0;
  let inFlight = 0;
  let order = 0;
  let tickQueued = false;
  let timer: NodeJS.Timeout | undefined;
  const sleepers: Sleeper[] = [];

  // Whole milliseconds, like Date.now(): timestamps end up in int64 columns.
  const now = () => Math.floor(startAt + (performance.now() - realStart) + offset);

  const wakeDue = () => {
    const at = now();
    sleepers.sort((left, right) => left.wakeAt - right.wakeAt || left.order - right.order);
    while (sleepers.length > 0 && (sleepers[0] as Sleeper).wakeAt <= at) sleepers.shift()?.wake();
  };

  const tick = () => {
    tickQueued = false;
    if (timer) clearTimeout(timer);
    timer = undefined;
    wakeDue();
    if (sleepers.length === 0) return;
    const earliest = (sleepers[0] as Sleeper).wakeAt;
    if (inFlight === 0) {
      const skip = Math.max(0, earliest - now());
      offset += skip;
      skippedMs += skip;
      wakeDue();
      if (sleepers.length > 0) queueTick();
      return;
    }
    // Something is on the wire: let real time pass; a finished exchange queues the next tick anyway.
    timer = setTimeout(tick, Math.max(1, Math.min(1_000, earliest - now())));
  };

  // setImmediate runs after pending promise callbacks, so a caller about to send has done so by then.
  const queueTick = () => {
    if (tickQueued) return;
    tickQueued = true;
    setImmediate(tick);
  };

  return {
    now,
    sleep(milliseconds) {
      return new Promise<void>((resolve) => {
        sleepers.push({
          wakeAt: Math.ceil(now() + Math.max(0, milliseconds)),
          order: order++,
          wake: resolve,
        });
        queueTick();
      });
    },
    trackFetch(fetchFunction) {
      return async (input, init) => {
        inFlight += 1;
        try {
          const response = await fetchFunction(input, init);
          // Read the body here so the exchange counts as in flight until it is complete.
          const body = await response.arrayBuffer();
          const bodyless = [101, 204, 205, 304].includes(response.status);
          return new Response(bodyless ? null : body, {
            status: response.status,
            statusText: response.statusText,
            headers: response.headers,
          });
        } finally {
          inFlight -= 1;
          queueTick();
        }
      };
    },
    get skippedMs() {
      return skippedMs;
    },
  };
}
