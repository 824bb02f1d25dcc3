/**
 * The backfill's plan step. It imports nothing heavy, so the plan function's bundle stays small and its
 * cold start fast.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { parseTime } from '../config';
import { ConfigError } from '../errors';

export interface BackfillItem {
  /** ISO-8601. */
  readonly from: string;
  /** ISO-8601, exclusive. */
  readonly to: string;
}

export interface BackfillPlan {
  readonly items: BackfillItem[];
}

/** Keeps the plan's output well under the 256 KB Step Functions state limit. */
export const MAX_BACKFILL_DAYS = 1_000;

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

function parseInstant(value: unknown, field: 'from' | 'to', now: number): number {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ConfigError(`Backfill input needs "${field}" as an ISO-8601 time such as 2026-01-01T00:00:00Z`);
  }
  return parseTime(value, `Backfill "${field}"`, now);
}

/** Validates a `{from, to}` backfill input or item; `now` resolves relative times such as `now-7d`. */
export function parseBackfillRange(input: unknown, now: number): { from: number; to: number } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ConfigError('Backfill input must be an object {"from": "<ISO-8601>", "to": "<ISO-8601>"}');
  }
  const record = input as Record<string, unknown>;
  const from = parseInstant(record.from, 'from', now);
  const to = parseInstant(record.to, 'to', now);
  if (from >= to) {
    throw new ConfigError(`Backfill "from" must be before "to" (got ${iso(from)} and ${iso(to)})`);
  }
  return { from, to };
}

/** Splits `{from, to}` into one item per UTC day, the first and last clipped to the range. */
export function planBackfill(input: unknown, now: number = Date.now()): BackfillPlan {
  const { from, to } = parseBackfillRange(input, now);
  const firstDay = Math.floor(from / DAY) * DAY;
  const days = Math.ceil((to - firstDay) / DAY);
  if (days > MAX_BACKFILL_DAYS) {
    throw new ConfigError(
      `Backfill covers ${days} days, more than ${MAX_BACKFILL_DAYS}: split it into several backfills`,
    );
  }
  const items: BackfillItem[] = [];
  for (let dayStart = firstDay; dayStart < to; dayStart += DAY) {
    items.push({ from: iso(Math.max(dayStart, from)), to: iso(Math.min(dayStart + DAY, to)) });
  }
  return { items };
}

export function createBackfillPlanHandler(dependencies: {
  readonly logger: Logger;
  readonly now?: () => number;
}): (event: unknown, context: Context) => Promise<BackfillPlan> {
  const { logger } = dependencies;
  return async (event, context) => {
    logger.addContext(context);
    try {
      const plan = planBackfill(event, (dependencies.now ?? Date.now)());
      logger.info('Backfill planned', {
        days: plan.items.length,
        first: plan.items[0],
        last: plan.items.at(-1),
      });
      return plan;
    } catch (error) {
      logger.error('Backfill plan failed', error as Error);
      throw error;
    }
  };
}
