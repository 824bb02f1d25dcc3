/** Backfill plan: `{from, to}` → `{items: [{from, to}]}`, one item per UTC day. Needs no AWS access. */
import { Logger } from '@aws-lambda-powertools/logger';
import { createBackfillPlanHandler } from '../lib/lambda/backfill-plan';

export const handler = createBackfillPlanHandler({ logger: new Logger() });
