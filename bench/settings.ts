/**
 * Sizes of every benchmark section. `full` is what `npm run bench` measures; `smoke` runs the same code on
 * tiny inputs in seconds, to prove the benchmark works (not to measure anything).
 */
import type { RateLimitOptions } from '../lib/simulator';
import type { OrgShape } from './enumeration';
import type { PacingOptions } from './rate-limit-pacing';

export type BenchMode = 'full' | 'smoke';

export interface BenchSettings {
  readonly mode: BenchMode;
  readonly enumeration: readonly OrgShape[];
  /** Shape whose export's own peak RSS is section 3. */
  readonly memoryShape: string;
  readonly parquet: ReadonlyArray<{
    readonly rows: number;
    readonly maxRuns: number;
    readonly runBudgetSeconds: number;
  }>;
  readonly lambda: { readonly entry: string; readonly initRuns: number };
  readonly pacing: PacingOptions;
  readonly state: { readonly issues: number; readonly runs: number };
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MINUTE = 60_000;
/** The simulator's default `to`: every org ends at the same instant, so runs are comparable. */
const ORG_END = Date.UTC(2025, 0, 15);
const DATADOG_LIKE_LIMIT: RateLimitOptions = { limit: 300, periodSeconds: 60 };

/** With the org's own seed 7, ten orgs of a shape. */
const NINE_MORE_SEEDS = [8, 9, 10, 11, 12, 13, 14, 15, 16] as const;

/** The shapes the issue sets its search targets for: sparse, bursty and continuously dense orgs. */
const TARGET_SHAPES: readonly OrgShape[] = [
  {
    name: 'sparse',
    target: 1.5,
    org: { distribution: 'uniform', issues: 2_000, services: 12, seed: 7 },
    timeoutMs: 3 * MINUTE,
    seeds: NINE_MORE_SEEDS,
  },
  {
    name: 'bursty',
    target: 1.5,
    org: { distribution: 'bursty', issues: 2_000, services: 12, seed: 7 },
    timeoutMs: 3 * MINUTE,
    seeds: NINE_MORE_SEEDS,
  },
  {
    name: 'dense',
    target: 3,
    org: { distribution: 'dense', issues: 400, services: 8, seed: 7 },
    timeoutMs: 3 * MINUTE,
    seeds: NINE_MORE_SEEDS,
  },
];

/** The same org, sparse (`uniform`) and bursty, each named `<kind>, <name>`. */
function sparseAndBursty(
  name: string,
  org: Omit<OrgShape['org'], 'distribution' | 'seed'>,
  shape: Pick<OrgShape, 'target' | 'timeoutMs' | 'seeds'>,
): OrgShape[] {
  return (['uniform', 'bursty'] as const).map((distribution) => ({
    name: `${distribution === 'uniform' ? 'sparse' : 'bursty'}, ${name}`,
    ...shape,
    org: { distribution, ...org, seed: 7 },
  }));
}

export const FULL_SETTINGS: BenchSettings = {
  mode: 'full',
  enumeration: [
    ...TARGET_SHAPES,
    // The simulator's default org (200 issues, 8 services): most buckets fit in one search or two, so the
    // per-bucket bound, not ceil(issue-buckets / 100), is what any exporter at this grain can reach.
    ...sparseAndBursty(
      'simulator default',
      { issues: 200, services: 8 },
      { timeoutMs: MINUTE, seeds: NINE_MORE_SEEDS },
    ),
    // The dense target org's size (400 issues, 8 services, 6 hours), sparse and bursty: buckets of 80–400
    // issues, where one search more or less a bucket is a tenth of the export.
    ...sparseAndBursty(
      '400 issues',
      { issues: 400, services: 8 },
      { target: 1.5, timeoutMs: MINUTE, seeds: NINE_MORE_SEEDS },
    ),
    // Mid-sized orgs with the simulator's default 8 services: buckets of 150–500 issues, where the
    // per-bucket bound is about 1.15× the lower bound and the first bucket weighs more than in bigger orgs.
    ...sparseAndBursty(
      '800 issues',
      { issues: 800, services: 8 },
      { target: 1.5, timeoutMs: MINUTE, seeds: NINE_MORE_SEEDS },
    ),
    // What `error-tracking-export simulate` serves when given no options: 3,000 issues, 12 services, a day.
    ...sparseAndBursty(
      'simulate command default',
      { issues: 3_000, services: 12, from: ORG_END - DAY, to: ORG_END },
      { target: 1.5, timeoutMs: 3 * MINUTE, seeds: [8, 9] },
    ),
    // A busy org over a short range: single error types of over 100 issues an hour, and a first bucket
    // planned from a sample of 100 of its 2,000 issues weighs a sixth of the export.
    ...sparseAndBursty(
      '10,000 issues',
      { issues: 10_000, services: 12 },
      { target: 1.5, timeoutMs: 3 * MINUTE, seeds: [8, 9] },
    ),
    // Many quiet services: more than a plan names, and a first search that shows only some of them.
    ...sparseAndBursty(
      '150 services',
      { issues: 3_000, services: 150 },
      { target: 1.5, timeoutMs: 3 * MINUTE, seeds: [8, 9] },
    ),
    // Few busy services: every one shown often by a first search, and error types of 100 issues an hour.
    {
      name: 'bursty, 3 services',
      target: 1.5,
      org: { distribution: 'bursty', issues: 3_000, services: 3, seed: 7 },
      timeoutMs: 3 * MINUTE,
      seeds: [8, 9],
    },
    {
      name: 'dense, 1 service',
      target: 3,
      org: { distribution: 'dense', issues: 400, services: 1, seed: 7 },
      timeoutMs: 3 * MINUTE,
      seeds: [8, 9],
    },
    // The same orgs served by an API that refuses `@error.type` (a 400), as one without that facet would:
    // services, tracks, states and time are all that divide them, and a search by state is used only where
    // time cannot divide a service, since it cannot find an issue in an undocumented state.
    ...TARGET_SHAPES.map(
      (shape): OrgShape => ({
        ...shape,
        name: `${shape.name}, API without error types`,
        api: { refusedQueryFields: ['error.type'] },
      }),
    ),
    // The same orgs served by an API that refuses `@issue.id`, whose pages the reference does not document:
    // every saturated window is divided instead (see README, How the export stays exact).
    ...TARGET_SHAPES.map(
      (shape): OrgShape => ({
        ...shape,
        name: `${shape.name}, API without issue ids`,
        api: { refusedQueryFields: ['issue.id'] },
      }),
    ),
    // The same orgs served by an API implementing no more than the reference shows: service terms alone
    // (`service:v`, `service:(a OR b)`, `-service:(…)`), ranked by count alone, the `track` and `states`
    // attributes refused. Services and time are all that divide them.
    ...TARGET_SHAPES.map(
      (shape): OrgShape => ({
        ...shape,
        name: `${shape.name}, minimal API`,
        target: undefined,
        seeds: shape.seeds?.slice(0, 2),
        api: {
          queryForms: 'services-only',
          rankings: 'count-only',
          trackAttribute: 'refused',
          statesAttribute: 'refused',
        },
      }),
    ),
    // Busier versions of the same orgs: services well beyond one search per bucket.
    {
      name: 'sparse ×2',
      org: { distribution: 'uniform', issues: 4_000, services: 12, seed: 7 },
      timeoutMs: 3 * MINUTE,
    },
    {
      name: 'bursty ×2',
      org: { distribution: 'bursty', issues: 4_000, services: 12, seed: 7 },
      timeoutMs: 3 * MINUTE,
    },
    {
      name: 'dense ×2.5',
      org: { distribution: 'dense', issues: 1_000, services: 8, seed: 7 },
      timeoutMs: 3 * MINUTE,
    },
    {
      name: 'large',
      org: {
        distribution: 'uniform',
        issues: 20_000,
        services: 24,
        seed: 7,
        from: ORG_END - 7 * DAY,
        to: ORG_END,
      },
      timeoutMs: 6 * MINUTE,
      reduced: {
        name: 'large (2 of 7 days)',
        org: {
          distribution: 'uniform',
          issues: 20_000,
          services: 24,
          seed: 7,
          from: ORG_END - 2 * DAY,
          to: ORG_END,
        },
        timeoutMs: 3 * MINUTE,
      },
    },
  ],
  memoryShape: 'large',
  parquet: [
    { rows: 200_000, maxRuns: 3, runBudgetSeconds: 30 },
    { rows: 1_000_000, maxRuns: 3, runBudgetSeconds: 40 },
  ],
  lambda: { entry: 'functions/export.ts', initRuns: 10 },
  pacing: {
    org: {
      distribution: 'uniform',
      issues: 2_000,
      services: 4,
      seed: 5,
      from: ORG_END - 30 * DAY,
      to: ORG_END,
    },
    rateLimit: DATADOG_LIKE_LIMIT,
    startOffsetMs: 17_345,
  },
  state: { issues: 200_000, runs: 3 },
};

export const SMOKE_SETTINGS: BenchSettings = {
  mode: 'smoke',
  enumeration: [
    {
      name: 'sparse',
      target: 1.5,
      org: {
        distribution: 'uniform',
        issues: 200,
        services: 4,
        seed: 7,
        from: ORG_END - 2 * HOUR,
        to: ORG_END,
      },
      timeoutMs: MINUTE,
      seeds: [8],
    },
    {
      name: 'bursty',
      target: 1.5,
      org: {
        distribution: 'bursty',
        issues: 300,
        services: 4,
        seed: 7,
        from: ORG_END - 2 * HOUR,
        to: ORG_END,
      },
      timeoutMs: MINUTE,
    },
    {
      name: 'dense',
      target: 3,
      org: {
        distribution: 'dense',
        issues: 150,
        services: 4,
        seed: 7,
        from: ORG_END - 2 * HOUR,
        to: ORG_END,
      },
      timeoutMs: MINUTE,
    },
    {
      name: 'large',
      org: {
        distribution: 'uniform',
        issues: 600,
        services: 6,
        seed: 7,
        from: ORG_END - 6 * HOUR,
        to: ORG_END,
      },
      timeoutMs: MINUTE,
    },
  ],
  memoryShape: 'large',
  parquet: [{ rows: 5_000, maxRuns: 1, runBudgetSeconds: 5 }],
  lambda: { entry: 'functions/export.ts', initRuns: 2 },
  pacing: {
    org: {
      distribution: 'uniform',
      issues: 150,
      services: 2,
      seed: 5,
      from: ORG_END - 24 * HOUR,
      to: ORG_END,
    },
    // A low limit so a day of buckets still spans several periods.
    rateLimit: { limit: 4, periodSeconds: 60 },
    startOffsetMs: 17_345,
  },
  state: { issues: 2_000, runs: 1 },
};
