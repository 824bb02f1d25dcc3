import { describe, expect, it } from 'vitest';
import {
  observeErrorTypes,
  planByErrorType,
  type ServiceErrorTypes,
  sampleOf,
  scaleSample,
  splitSample,
  splitShown,
} from '../../lib/enumerate/error-type-plan';
import { clauseMatches } from '../../lib/enumerate/split';

const services = new Map<string, string>();
const types = new Map<string, string>();
function issues(service: string, errorType: string, count: number): string[] {
  return Array.from({ length: count }, (_, index) => {
    const id = `${service}-${errorType}-${index}`;
    services.set(id, service);
    types.set(id, errorType);
    return id;
  });
}

describe('planning a bucket from its own saturated search', () => {
  const sample = sampleOf(
    [
      ...issues('big', 'A', 50),
      ...issues('big', 'B', 20),
      ...issues('mid', 'A', 16),
      ...issues('small', 'A', 8),
      ...issues('tiny', 'C', 5),
      ...issues('', 'A', 1),
    ],
    (id) => services.get(id),
    (id) => types.get(id),
  );

  it('leaves out the least seen services, up to 14 issues seen, for a first search to count', () => {
    expect(splitSample(sample)).toEqual({ head: ['big', 'mid'], tailSeen: 13 });
  });

  it('scales what the sample showed of the others, keeping room for error types it did not show', () => {
    const observation = scaleSample(sample, ['big', 'mid'], 3);
    expect(observation.services.get('big')).toEqual({
      total: 210,
      byType: new Map([
        ['A', 150],
        ['B', 60],
      ]),
      untyped: 210 * 0.15,
    });
    expect(observation.totalIssues).toBe(210 + 48);
    expect(observation.withoutService).toBe(0);
  });

  it('moves the share of error types a service showed once into room for the types it did not show', () => {
    // Of 10 issues shown, 4 are of types shown once: about 40 % of the service is of types not shown.
    const thin = sampleOf(
      [
        ...issues('thin', 'A', 6),
        ...issues('thin', 'B', 1),
        ...issues('thin', 'C', 1),
        ...issues('thin', 'D', 1),
        ...issues('thin', 'E', 1),
      ],
      (id) => services.get(id),
      (id) => types.get(id),
    );
    const observation = scaleSample(thin, ['thin'], 10).services.get('thin');
    expect(observation?.total).toBe(100);
    expect(observation?.untyped).toBeCloseTo(40);
    // The 15 % of room kept for every service stays; the 25 % beyond it comes out of the types shown.
    expect(observation?.byType.get('A')).toBeCloseTo(60 * 0.75);
    expect(observation?.byType.get('B')).toBeCloseTo(10 * 0.75);
  });

  it('has nothing to leave out when only one service was seen', () => {
    expect(
      splitSample(
        sampleOf(
          issues('only', 'A', 100),
          (id) => services.get(id),
          (id) => types.get(id),
        ),
      ),
    ).toBe(undefined);
  });

  it("leaves out a single service's least seen error types the same way", () => {
    const shown = new Map([
      ['A', 60],
      ['B', 30],
      ['C', 6],
      ['D', 4],
    ]);
    expect(splitShown(shown)).toEqual({ head: ['A', 'B'], tailSeen: 10 });
    expect(
      splitShown(
        new Map([
          ['A', 60],
          ['B', 40],
        ]),
        true,
      ),
    ).toEqual({ head: ['A'], tailSeen: 40 });
  });

  it('plans only the named error types of a service whose other issues a search already found', () => {
    const counts = {
      total: 30,
      byType: new Map([
        ['A', 20],
        ['B', 10],
      ]),
      untyped: 0,
      newTypes: 0,
    };
    const observation = { services: new Map([['api', counts]]), withoutService: 0, totalIssues: 30 };
    const bucket = { start: 0, end: 3_600_000 };
    const plan = planByErrorType(observation, bucket, false, new Set(['api']));
    // Small as it is, the service is planned by type, and no piece searches the rest of it again.
    expect(plan.pieces.reduce((sum, issues) => sum + issues, 0)).toBe(30);
    expect(plan.windowOf(plan.pieces.map((_, piece) => piece)).filter).toEqual({
      includeServices: ['api'],
      includeErrorTypes: ['A', 'B'],
    });
    expect(plan.pieceOf('api', 'C')).toBeUndefined();
    expect(planByErrorType(observation, bucket, false).pieceOf('api', 'C')).toBeDefined();
  });
});

describe('keeping queries short in a big org', () => {
  it('names at most 200 services and 50 error types of a service; the remainders find the rest', () => {
    const manyServices = Array.from(
      { length: 250 },
      (_, index) => `service-${String(index).padStart(3, '0')}`,
    );
    const busyTypes = new Map(Array.from({ length: 80 }, (_, index) => [`Type${index}`, 2] as const));
    const observation = {
      services: new Map([
        ['busy', { total: 160, byType: busyTypes, untyped: 0 }],
        ...manyServices.map(
          (service, index) =>
            [service, { total: 250 - index, byType: new Map(), untyped: 250 - index }] as const,
        ),
      ]),
      withoutService: 0,
      totalIssues: 160 + 250 * 125,
    };
    const plan = planByErrorType(observation, { start: 0, end: 3_600_000 });
    const all = plan.pieces.map((_, piece) => plan.windowOf([piece]));
    const clauses = all.flatMap((window) => window.filter.anyOf ?? [window.filter]);
    for (const clause of clauses) {
      expect((clause.excludeServices ?? []).length).toBeLessThanOrEqual(200);
      expect((clause.excludeErrorTypes ?? []).length).toBeLessThanOrEqual(50);
    }
    // The quietest service and the rarest type of the busy service are each found exactly once.
    for (const [service, errorType] of [
      ['service-249', 'X'],
      ['busy', 'Type79'],
      ['busy', 'Type0'],
      ['never-seen', 'Y'],
    ] as const) {
      const matching = all.filter((window) =>
        (window.filter.anyOf ?? [window.filter]).some((clause) => clauseMatches(clause, service, errorType)),
      );
      expect(matching, `${service} ${errorType}`).toHaveLength(1);
      // The piece the plan attributes the issue to is the one whose search finds it.
      expect(all[plan.pieceOf(service, errorType)!]).toBe(matching[0]);
    }
  });
});

describe('an error type too big for one search', () => {
  const bucket = { start: 0, end: 3_600_000 };
  const QUARTER = 900_000;
  /** Leaves of one type searched in quarters of the bucket, each finding these issue numbers. */
  function quarters(found: ReadonlyArray<readonly number[]>) {
    return found.map((numbers, index) => ({
      from: index * QUARTER,
      to: (index + 1) * QUARTER,
      filter: { includeServices: ['app'], includeErrorTypes: ['Crash'] },
      results: numbers.map((number) => ({
        id: `app-Crash-${number}`,
        type: 'error_tracking_search_result',
        attributes: {},
      })),
    }));
  }
  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, index) => from + index);
  const serviceOf = (id: string) => id.split('-')[0];
  const typeOf = (id: string) => id.split('-')[1];
  /** A plan for one service, `app`, of these issues by error type and what was measured of them. */
  const planOf = (
    byType: Record<string, number>,
    measured: Pick<ServiceErrorTypes, 'errorRates' | 'timeWindowSearches'> = {},
  ) => {
    const total = Object.values(byType).reduce((sum, issues) => sum + issues, 0);
    const counts = { total, byType: new Map(Object.entries(byType)), untyped: 0, ...measured };
    return planByErrorType(
      { services: new Map([['app', counts]]), withoutService: 0, totalIssues: total },
      bucket,
    );
  };

  it('measures how often its issues err from the time windows that found them', () => {
    // 200 issues, each found in one quarter only: they err about once a bucket.
    const once = observeErrorTypes(
      quarters([range(0, 50), range(50, 100), range(100, 150), range(150, 200)]),
      serviceOf,
      typeOf,
      bucket,
    );
    const rate = once.services.get('app')?.errorRates?.get('Crash');
    expect(rate).toBeGreaterThan(1);
    expect(rate).toBeLessThan(1.3);
    expect(once.services.get('app')?.timeWindowSearches?.get('Crash')).toBe(4);
    // 120 issues, every one found in every quarter: they err throughout.
    const throughout = observeErrorTypes(
      quarters([0, 1, 2, 3].map(() => range(0, 120))),
      serviceOf,
      typeOf,
      bucket,
    );
    expect(throughout.services.get('app')?.errorRates?.get('Crash')).toBeGreaterThan(20);
  });

  it('takes a type that time halves could not divide, searched whole by facet instead, to err throughout', () => {
    // Divided by state over the whole bucket after its halves saturated with the same issues: without
    // this, the next bucket searched it whole, by track and in halves again before dividing it by state.
    const byState = (states: string[], numbers: number[]) => ({
      from: bucket.start,
      to: bucket.end,
      filter: { includeServices: ['app'], includeErrorTypes: ['Crash'], states },
      results: numbers.map((number) => ({
        id: `app-Crash-${number}`,
        type: 'error_tracking_search_result',
        attributes: {},
      })),
    });
    const leaves = [byState(['OPEN'], range(0, 90)), byState(['RESOLVED'], range(90, 140))];
    const unmarked = observeErrorTypes(leaves, serviceOf, typeOf, bucket).services.get('app');
    expect(unmarked?.errorRates).toBeUndefined();
    const throughout = observeErrorTypes(
      leaves.map((leaf) => ({ ...leaf, timeDense: true })),
      serviceOf,
      typeOf,
      bucket,
    ).services.get('app');
    const rate = throughout?.errorRates?.get('Crash');
    expect(rate).toBeGreaterThan(20);
    const plan = planOf({ Crash: 140 }, { errorRates: new Map([['Crash', rate!]]) });
    expect(plan.windowOf([plan.pieceOf('app', 'Crash')!]).timeDense).toBe(true);
  });

  it('measures each error type of a time window that several shared', () => {
    // Crash and Hang searched together in each quarter (`@error.type:(Crash OR Hang)`), and a packed
    // search whose clauses name a type of another service.
    const shared = quarters([range(0, 50), range(50, 100), range(100, 150), range(150, 200)]).map(
      (leaf, index) => ({
        ...leaf,
        filter:
          index < 2
            ? { includeServices: ['app'], includeErrorTypes: ['Crash', 'Hang'] }
            : {
                anyOf: [
                  { includeServices: ['app'], includeErrorTypes: ['Crash', 'Hang'] },
                  { includeServices: ['web'], includeErrorTypes: ['Timeout'] },
                ],
              },
        results: [
          ...leaf.results,
          ...range(0, 30).map((number) => ({
            id: `app-Hang-${number}`,
            type: 'error_tracking_search_result',
            attributes: {},
          })),
        ],
      }),
    );
    const observed = observeErrorTypes(shared, serviceOf, typeOf, bucket).services.get('app');
    expect(observed?.errorRates?.get('Crash')).toBeLessThan(1.3);
    // The same 30 Hang issues in every quarter: they err throughout.
    expect(observed?.errorRates?.get('Hang')).toBeGreaterThan(20);
    expect(observed?.timeWindowSearches?.get('Hang')).toBe(4);
  });

  it('is searched in as few equal time windows as fit, once measured, and whole before', () => {
    const unmeasured = planOf({ Crash: 200, Hang: 30 });
    expect(unmeasured.divisibleByTime?.size).toBe(0);

    const plan = planOf({ Crash: 200, Hang: 30 }, { errorRates: new Map([['Crash', 1.1]]) });
    const crash = plan.pieceOf('app', 'Crash')!;
    expect([...(plan.divisibleByTime ?? [])]).toEqual([crash]);
    // Grown to 240 issues erring about once a bucket: halves would find 102 each, thirds 74.
    const windows = plan.divideByTime?.(crash, 240) ?? [];
    expect(windows.map((window) => [window.from, window.to])).toEqual([
      [0, 1_200_000],
      [1_200_000, 2_400_000],
      [2_400_000, 3_600_000],
    ]);
    expect(windows[0]?.filter).toEqual({ includeServices: ['app'], includeErrorTypes: ['Crash'] });
    expect(windows[0]?.expected).toBeCloseTo(240 * (1 - Math.exp(-1.1 / 3)));
    // Grown less than feared, it fits one search after all.
    expect(plan.divideByTime?.(crash, 80)).toBeUndefined();
    // The rest of the service is everything but its named types, so no issue is found twice.
    expect(clauseMatches(plan.windowOf([plan.pieceOf('app', 'Other')!]).filter, 'app', 'Crash')).toBe(false);
  });

  it('is divided into more than 16 time windows only when its windows took as many searches before', () => {
    const planned = (timeWindowSearches?: Map<string, number>) =>
      planOf(
        { Crash: 200 },
        { errorRates: new Map([['Crash', 20]]), ...(timeWindowSearches ? { timeWindowSearches } : {}) },
      );
    // 200 issues erring 20 times an hour: 37 windows find about 84 each.
    const before = planned(new Map([['Crash', 40]]));
    expect(before.divideByTime?.(before.pieceOf('app', 'Crash')!, 200)).toHaveLength(37);
    const unknown = planned();
    expect(unknown.divideByTime?.(unknown.pieceOf('app', 'Crash')!, 200)).toBeUndefined();
    expect(unknown.windowOf([unknown.pieceOf('app', 'Crash')!]).timeDense).toBe(true);
  });

  it('is divided by facets first when its issues err throughout, since time windows would not divide them', () => {
    const plan = planOf({ Crash: 200 }, { errorRates: new Map([['Crash', 50]]) });
    const crash = plan.pieceOf('app', 'Crash')!;
    expect(plan.divideByTime?.(crash, 200)).toBeUndefined();
    expect(plan.windowOf([crash]).timeDense).toBe(true);
  });
});
