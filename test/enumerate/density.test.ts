import { describe, expect, it } from 'vitest';
import { ServiceDensityModel } from '../../lib/enumerate/density';
import type { LeafWindow } from '../../lib/enumerate/enumerate';
import type { SearchFilter } from '../../lib/enumerate/query';
import { clauseMatches, MAX_SERVICES_EXCLUDED, type SearchWindow } from '../../lib/enumerate/split';

const HOUR = 3_600_000;
const scope = { query: '*', persona: 'ALL' as const };
const serviceOfIssue = new Map<string, string>();

/** What the searches said of each issue: its service, and its error type and lifetime where given. */
function factsOf(
  serviceOf: (id: string) => string | undefined,
  errorTypeOf: (id: string) => string | undefined = () => undefined,
  lifetimeOf: (id: string) => { firstSeen?: number; lastSeen?: number } = () => ({}),
  stateOf: (id: string) => string | undefined = () => undefined,
) {
  return (id: string) => ({
    service: serviceOf(id),
    errorType: errorTypeOf(id),
    state: stateOf(id),
    firstSeen: lifetimeOf(id).firstSeen,
    lastSeen: lifetimeOf(id).lastSeen,
  });
}

function leaf(
  from: number,
  to: number,
  filter: SearchFilter,
  service: string,
  issues: number,
  offset = 0,
): LeafWindow {
  const results = Array.from({ length: issues }, (_, index) => {
    const id = `${service}-${filter.track ?? 'any'}-${offset + index}`;
    serviceOfIssue.set(id, service);
    return { id, type: 'error_tracking_search_result', attributes: { total_count: 1 } };
  });
  return { from, to, filter, results };
}

/** Records a bucket searched with error types, each issue's service known from its leaf. */
function recordWithErrorTypes(
  model: ServiceDensityModel,
  bucket: { start: number; end: number },
  leaves: LeafWindow[],
  typeOf: (id: string) => string | undefined,
): void {
  model.record(
    scope,
    bucket,
    leaves,
    factsOf((id) => serviceOfIssue.get(id), typeOf),
    true,
  );
}

describe('planning a bucket from the one before', () => {
  it('starts with one search until a bucket needed more', () => {
    const model = new ServiceDensityModel();
    expect(model.initialWindows(scope, { start: 0, end: HOUR })).toEqual([{ from: 0, to: HOUR, filter: {} }]);
    model.record(
      scope,
      { start: 0, end: HOUR },
      [leaf(0, HOUR, {}, 'a', 40)],
      factsOf((id) => serviceOfIssue.get(id)),
      false,
    );
    expect(model.initialWindows(scope, { start: HOUR, end: 2 * HOUR })).toEqual([
      { from: HOUR, to: 2 * HOUR, filter: {} },
    ]);
  });

  it("tells the plan how many of the bucket before's issues erred fewer times than a given count", () => {
    const model = new ServiceDensityModel();
    const quiet = leaf(0, HOUR, { includeServices: ['a'] }, 'a', 30);
    const halves = [
      leaf(0, HOUR / 2, { excludeServices: ['a'] }, 'b', 10),
      leaf(HOUR / 2, HOUR, { excludeServices: ['a'] }, 'b', 10),
    ];
    // The second half finds the first half's issues again: each issue's errors add up over the windows.
    const loud = {
      ...quiet,
      results: quiet.results.slice(0, 10).map((result) => ({ ...result, attributes: { total_count: 5 } })),
    };
    model.record(
      scope,
      { start: 0, end: HOUR },
      [loud, leaf(0, HOUR, { includeServices: ['a'] }, 'a', 20, 10), ...halves],
      factsOf((id) => serviceOfIssue.get(id)),
      false,
    );
    const plan = model.plan(scope, { start: HOUR, end: 2 * HOUR });
    // 40 issues: 20 of `a` erred once, 10 of `b` twice, 10 of `a` five times.
    expect(plan.quieterShare?.(1)).toBe(0);
    expect(plan.quieterShare?.(2)).toBe(0.5);
    expect(plan.quieterShare?.(5)).toBe(0.75);
    expect(plan.quieterShare?.(6)).toBe(1);
  });

  it('packs services, splits big ones by track, divides the densest into equal time windows, and folds the remainder into a group', () => {
    const model = new ServiceDensityModel();
    const bucket = { start: 0, end: HOUR };
    model.record(
      scope,
      bucket,
      [
        leaf(0, HOUR, { includeServices: ['small-1', 'small-2'] }, 'small-1', 30),
        leaf(0, HOUR, { includeServices: ['mid'] }, 'mid', 70),
        leaf(0, HOUR, { includeServices: ['small-2'] }, 'small-2', 20),
        leaf(0, HOUR, { includeServices: ['big'], track: 'trace' }, 'big', 80),
        leaf(0, HOUR, { includeServices: ['big'], track: 'logs' }, 'big', 40),
        leaf(0, HOUR, { includeServices: ['big'], track: 'rum' }, 'big', 0),
        leaf(0, HOUR / 2, { includeServices: ['huge'] }, 'huge', 90),
        leaf(HOUR / 2, HOUR, { includeServices: ['huge'] }, 'huge', 90, 90),
        leaf(0, HOUR, { excludeServices: ['small-1', 'small-2', 'mid', 'big', 'huge'] }, 'new', 0),
      ],
      factsOf((id) => serviceOfIssue.get(id)),
      false,
    );
    const next = { start: HOUR, end: 2 * HOUR };
    const plan = model.initialWindows(scope, next);
    expect(plan).toEqual([
      { from: HOUR, to: 2 * HOUR, filter: { includeServices: ['big'], track: 'trace' } },
      { from: HOUR, to: 2 * HOUR, filter: { includeServices: ['big'], track: 'logs' } },
      { from: HOUR, to: 2 * HOUR, filter: { includeServices: ['big'], track: 'rum' } },
      // 180 distinct issues, 90 in each half and none in both: by the rate fitted to that, an issue errs in
      // a half-hour with chance ½, so a window of one holds issues erring throughout, sized to 85 issues
      // at most: three equal windows of about 60 each.
      { from: HOUR, to: HOUR + HOUR / 3, filter: { includeServices: ['huge'] } },
      { from: HOUR + HOUR / 3, to: HOUR + (2 * HOUR) / 3, filter: { includeServices: ['huge'] } },
      { from: HOUR + (2 * HOUR) / 3, to: 2 * HOUR, filter: { includeServices: ['huge'] } },
      // The remainder, every service not known, rides along with a packed group (mid and small-2, 90).
      { from: HOUR, to: 2 * HOUR, filter: { excludeServices: ['big', 'huge', 'small-1'] } },
      { from: HOUR, to: 2 * HOUR, filter: { includeServices: ['small-1'] } },
    ]);
  });

  it('expects the issues without a service in the remainder, the only search that finds them', () => {
    const model = new ServiceDensityModel();
    const withoutService = leaf(0, HOUR, { excludeServices: ['a', 'b'] }, 'unnamed', 60);
    for (const result of withoutService.results) serviceOfIssue.delete(result.id);
    model.record(
      scope,
      { start: 0, end: HOUR },
      [
        leaf(0, HOUR, { includeServices: ['a'] }, 'a', 70),
        leaf(0, HOUR, { includeServices: ['b'] }, 'b', 70),
        withoutService,
      ],
      factsOf((id) => serviceOfIssue.get(id)),
      false,
    );
    const plan = model.plan(scope, { start: HOUR, end: 2 * HOUR });
    const remainder = plan.pieceOf(undefined, undefined, undefined, undefined)!;
    expect(plan.pieces[remainder]).toBe(60);
  });

  it('leaves the quietest services of a big org to the remainder, so that it excludes no more than it may', () => {
    const model = new ServiceDensityModel();
    const services = Array.from({ length: MAX_SERVICES_EXCLUDED + 50 }, (_, index) => `svc-${1000 + index}`);
    // The first 60 services had three issues each, the rest one, searched 50 services at a time.
    const leaves: LeafWindow[] = [];
    for (let first = 0; first < services.length; first += 50) {
      const group = services.slice(first, first + 50);
      const results = group.flatMap((service, index) =>
        Array.from({ length: first + index < 60 ? 3 : 1 }, (_, issue) => {
          serviceOfIssue.set(`${service}-${issue}`, service);
          return { id: `${service}-${issue}`, type: 'error_tracking_search_result', attributes: {} };
        }),
      );
      leaves.push({ from: 0, to: HOUR, filter: { includeServices: group }, results });
    }
    model.record(
      scope,
      { start: 0, end: HOUR },
      leaves,
      factsOf((id) => serviceOfIssue.get(id)),
      false,
    );
    const plan = model.initialWindows(scope, { start: HOUR, end: 2 * HOUR });
    const remainder = plan.find((window) => window.filter.excludeServices);
    expect(remainder?.filter.excludeServices?.length).toBeLessThanOrEqual(MAX_SERVICES_EXCLUDED);
    const named = new Set(plan.flatMap((window) => window.filter.includeServices ?? []));
    // Every service is searched once: by name, or by the remainder as one it does not exclude.
    const excluded = new Set(remainder?.filter.excludeServices);
    for (const service of services)
      expect(Number(named.has(service)) + Number(!excluded.has(service))).toBe(1);
  });

  it('never replays a service whose own windows do not cover the bucket, so nothing falls between plans', () => {
    const model = new ServiceDensityModel();
    const bucket = { start: 0, end: HOUR };
    // The remainder was split by time; "late" was named only inside the first half.
    model.record(
      scope,
      bucket,
      [
        leaf(0, HOUR, { includeServices: ['a'] }, 'a', 60),
        leaf(0, HOUR / 2, { includeServices: ['late'] }, 'late', 99),
        leaf(0, HOUR / 2, { excludeServices: ['a', 'late'] }, 'other', 10),
        leaf(HOUR / 2, HOUR, { excludeServices: ['a'] }, 'late', 30, 200),
      ],
      factsOf((id) => serviceOfIssue.get(id)),
      false,
    );
    const plan = model.initialWindows(scope, { start: HOUR, end: 2 * HOUR });
    const late = plan.filter(
      (window) =>
        window.filter.includeServices?.includes('late') ||
        (window.filter.excludeServices && !window.filter.excludeServices.includes('late')),
    );
    expect(late.map((window) => [window.from, window.to])).toEqual([[HOUR, 2 * HOUR]]);
  });

  it('divides each track of a busy service by its own count, and never replays a state split', () => {
    const model = new ServiceDensityModel();
    const bucket = { start: 0, end: HOUR };
    model.record(
      scope,
      bucket,
      [
        leaf(0, HOUR, { includeServices: ['a'] }, 'a', 60),
        ...(['trace', 'logs', 'rum'] as const).flatMap((track) => [
          leaf(0, HOUR / 2, { includeServices: ['hot'], track }, 'hot', track === 'trace' ? 99 : 5, 0),
          leaf(HOUR / 2, HOUR, { includeServices: ['hot'], track }, 'hot', track === 'trace' ? 99 : 5, 500),
        ]),
        leaf(0, HOUR / 2, { includeServices: ['stated'], track: 'trace', states: ['OPEN'] }, 'stated', 99),
        leaf(
          0,
          HOUR / 2,
          { includeServices: ['stated'], track: 'trace', states: ['RESOLVED'] },
          'stated',
          5,
          700,
        ),
      ],
      factsOf((id) => serviceOfIssue.get(id)),
      false,
    );
    const plan = model.initialWindows(scope, { start: HOUR, end: 2 * HOUR });
    const hot = plan
      .filter((window) => window.filter.includeServices?.[0] === 'hot')
      .map((window) => [window.filter.track, window.from, window.to]);
    // The busy track is divided by its count; the quiet tracks are searched whole, with other services.
    expect(hot).toEqual([
      ['trace', HOUR, HOUR + HOUR / 3],
      ['trace', HOUR + HOUR / 3, HOUR + (2 * HOUR) / 3],
      ['trace', HOUR + (2 * HOUR) / 3, 2 * HOUR],
      ['logs', HOUR, 2 * HOUR],
      ['rum', HOUR, 2 * HOUR],
    ]);
    expect(plan.some((window) => window.filter.states)).toBe(false);
  });
  it('replays the windows of issues that error all bucket, merging halves that saw the same issues', () => {
    const model = new ServiceDensityModel();
    const bucket = { start: 0, end: HOUR };
    // The same 60 issues erred in both halves of each error-type group: time cannot divide them.
    const leaves = ['a', 'b'].flatMap((group) => [
      leaf(0, HOUR / 2, { includeServices: ['steady'], includeErrorTypes: [group] }, `steady-${group}`, 60),
      leaf(
        HOUR / 2,
        HOUR,
        { includeServices: ['steady'], includeErrorTypes: [group] },
        `steady-${group}`,
        60,
      ),
    ]);
    leaves.push(
      leaf(0, HOUR, { includeServices: ['steady'], excludeErrorTypes: ['a', 'b'] }, 'steady', 1, 900),
    );
    model.record(
      scope,
      bucket,
      leaves,
      factsOf((id) => (id.startsWith('steady') ? 'steady' : serviceOfIssue.get(id))),
      false,
    );
    const plan = model.initialWindows(scope, { start: HOUR, end: 2 * HOUR });
    expect(
      plan
        .filter((window) => window.filter.includeServices?.[0] === 'steady')
        .map((window) => [
          window.filter.includeErrorTypes ?? window.filter.excludeErrorTypes,
          window.to - window.from,
        ]),
    ).toEqual([
      [['a'], HOUR],
      [['b'], HOUR],
      [['a', 'b'], HOUR],
    ]);
  });
  it('packs small services with error types of busy ones, so every issue, even of a new type or service, is in one search', () => {
    const model = new ServiceDensityModel();
    const bucket = { start: 0, end: HOUR };
    const leaves = [
      leaf(0, HOUR / 2, { includeServices: ['busy'] }, 'busy', 90),
      leaf(HOUR / 2, HOUR, { includeServices: ['busy'] }, 'busy', 90, 90),
      leaf(0, HOUR, { excludeServices: ['busy'] }, 'small', 20),
    ];
    // busy: 70 issues of T1, 60 of T2, 40 of T3 and 10 without a type; small: 20 issues of T1.
    const typeOf = (id: string) => {
      const index = Number(id.split('-').at(-1));
      return index < 70 ? 'T1' : index < 130 ? 'T2' : index < 170 ? 'T3' : '';
    };
    recordWithErrorTypes(model, bucket, leaves, typeOf);
    const plan = model.initialWindows(scope, { start: HOUR, end: 2 * HOUR });
    expect(plan.every((window) => window.from === HOUR && window.to === 2 * HOUR)).toBe(true);
    expect(plan.map((window) => window.filter)).toEqual([
      {
        anyOf: [
          { includeServices: ['busy'], excludeErrorTypes: ['T2', 'T3'] },
          { excludeServices: ['busy', 'small'] },
        ],
      },
      { anyOf: [{ includeServices: ['small'] }, { includeServices: ['busy'], includeErrorTypes: ['T2'] }] },
      { includeServices: ['busy'], includeErrorTypes: ['T3'] },
    ]);
    const probes: Array<[string | undefined, string | undefined]> = [
      ['busy', 'T1'],
      ['busy', 'T2'],
      ['busy', 'T3'],
      ['busy', 'NewType'],
      ['busy', undefined],
      ['small', 'T2'],
      ['new-service', 'T1'],
      [undefined, undefined],
    ];
    for (const [service, errorType] of probes) {
      const matching = plan.filter((window) =>
        (window.filter.anyOf ?? [window.filter]).some((clause) => clauseMatches(clause, service, errorType)),
      );
      expect(matching, `${service} ${errorType}`).toHaveLength(1);
    }
  });

  it('plans whole services while no search has proved the error-type facet and every service fits a search', () => {
    const planAfter = (busyIssues: number, errorTypesProven: boolean) => {
      const model = new ServiceDensityModel();
      const bucket = { start: 0, end: HOUR };
      const leaves = [
        leaf(0, HOUR, { includeServices: ['busy'] }, 'busy', busyIssues),
        leaf(0, HOUR, { excludeServices: ['busy'] }, 'small', 30),
      ];
      const typeOf = (id: string) => (Number(id.split('-').at(-1)) % 2 === 0 ? 'T1' : 'T2');
      recordWithErrorTypes(model, bucket, leaves, typeOf);
      return model.plan(scope, { start: HOUR, end: 2 * HOUR }, new Set(), true, errorTypesProven);
    };
    const namesErrorTypes = (plan: ReturnType<typeof planAfter>) =>
      plan.pieces.some((_, piece) => {
        const { filter } = plan.windowOf([piece]);
        return (filter.anyOf ?? [filter]).some(
          (clause) => clause.includeErrorTypes !== undefined || clause.excludeErrorTypes !== undefined,
        );
      });
    // 60 issues of a service fit a search: without proof, the plan names services only.
    expect(namesErrorTypes(planAfter(60, true))).toBe(true);
    expect(namesErrorTypes(planAfter(60, false))).toBe(false);
    // 90 do not: error types divide it, and the bucket's first search proves them.
    expect(namesErrorTypes(planAfter(90, false))).toBe(true);
  });

  /**
   * The plan of a third bucket after two buckets in which a steady and a stopping service each had the
   * same `issues` issues, the stopping one's last erring at `stoppingLastErred`.
   */
  const planAfterSteadyAndStopping = (issues: number, stoppingLastErred: number) => {
    const model = new ServiceDensityModel();
    for (const index of [0, 1]) {
      const bucket = { start: index * HOUR, end: (index + 1) * HOUR };
      const leaves = [
        leaf(bucket.start, bucket.end, {}, 'steady', issues),
        leaf(bucket.start, bucket.end, {}, 'stopping', issues),
      ];
      model.record(
        scope,
        bucket,
        leaves,
        factsOf(
          (id) => serviceOfIssue.get(id),
          () => 'T',
          (id) => ({
            firstSeen: -HOUR,
            lastSeen: id.startsWith('stopping') ? stoppingLastErred : 10 * HOUR,
          }),
        ),
        true,
      );
    }
    return model.plan(scope, { start: 2 * HOUR, end: 3 * HOUR });
  };

  it('plans from each issue too, by when issues last erred: a service whose issues stopped is planned smaller', () => {
    const plannedIssues = (stoppingLastErred: number) =>
      planAfterSteadyAndStopping(40, stoppingLastErred).pieces.reduce((sum, issues) => sum + issues, 0);
    // Half from the counts (80) and half issue by issue. An issue that erred in the bucket before and has
    // not erred for the last time errs again with the probability the run measured, with its prior of 18
    // in 20: (80 + 18) / (80 + 20) when all 80 issues might have; (40 + 18) / (40 + 20) when the 40 whose
    // last error came in the bucket before certainly did, and do not count, nor err again.
    expect(plannedIssues(10 * HOUR)).toBeCloseTo((80 + (80 * 98) / 100) / 2, 5);
    expect(plannedIssues(1.5 * HOUR)).toBeCloseTo((80 + (40 * 58) / 60) / 2, 5);
  });

  it('searches a bucket whole first when the issue-by-issue prediction alone expects it to fit', () => {
    const planAfter = (stoppingLastErred: number) => planAfterSteadyAndStopping(70, stoppingLastErred);
    // Issue by issue, 70 × 88 / 90 once the stopping service's issues erred for the last time; averaged
    // with the counts (140), the pieces expect 104, more than one search holds.
    const stopped = planAfter(1.5 * HOUR);
    expect(stopped.pieces.reduce((sum, issues) => sum + issues, 0)).toBeGreaterThan(100);
    expect(stopped.togetherFirst).toBe(true);
    expect(planAfter(10 * HOUR).togetherFirst).toBeUndefined();
  });

  describe('without error types', () => {
    const stateOfIssue = new Map<string, string>();
    /** Issues of one service in one state, as a search window found them. */
    const stated = (
      from: number,
      to: number,
      filter: SearchFilter,
      service: string,
      state: string,
      issues: number,
      offset = 0,
    ) => {
      const found = leaf(from, to, filter, service, issues, offset);
      for (const result of found.results) stateOfIssue.set(result.id, state);
      return found;
    };
    const facts = factsOf(
      (id) => serviceOfIssue.get(id),
      () => undefined,
      () => ({}),
      (id) => stateOfIssue.get(id),
    );
    const rest = ['ACKNOWLEDGED', 'RESOLVED', 'IGNORED', 'EXCLUDED'];
    /** The planned windows that would find an issue of this service and state. */
    const searchingFor = (windows: readonly SearchWindow[], service: string, state: string) =>
      windows.filter(
        (window) =>
          clauseMatches(window.filter, service, undefined) &&
          (window.filter.states === undefined || window.filter.states.includes(state)),
      );
    // 'dense' erred all hour: its open issues filled both halves of a search by state.
    const denseBucket = (snoozedElsewhere: boolean) => [
      stated(0, HOUR / 2, { includeServices: ['dense'], states: ['OPEN'] }, 'dense', 'OPEN', 95),
      stated(HOUR / 2, HOUR, { includeServices: ['dense'], states: ['OPEN'] }, 'dense', 'OPEN', 95),
      stated(0, HOUR, { includeServices: ['dense'], states: rest }, 'dense', 'RESOLVED', 30, 500),
      stated(0, HOUR, { includeServices: ['calm'] }, 'calm', 'OPEN', 50),
      stated(
        0,
        HOUR,
        { excludeServices: ['calm', 'dense'] },
        'other',
        snoozedElsewhere ? 'SNOOZED' : 'OPEN',
        5,
      ),
    ];

    it('divides a service that needed a state split by state again, each group searched apart, and covers every issue once', () => {
      const model = new ServiceDensityModel();
      model.record(scope, { start: 0, end: HOUR }, denseBucket(false), facts, false);
      const next = { start: HOUR, end: 2 * HOUR };
      const plan = model.plan(scope, next);
      const windows = model.initialWindows(scope, next);
      // The open group searches 'dense' in open states only: no search of it in every state first.
      const open = searchingFor(windows, 'dense', 'OPEN');
      expect(open).toHaveLength(1);
      expect(open[0]?.filter).toEqual({ includeServices: ['dense'], states: ['OPEN'] });
      expect(searchingFor(windows, 'dense', 'RESOLVED')[0]?.filter).toEqual({
        includeServices: ['dense'],
        states: rest,
      });
      // Pieces of different state groups never share a search: `states` is one field of the request.
      const classes = plan.classes ?? [];
      expect(new Set(classes).size).toBe(3);
      for (const [service, state] of [
        ['dense', 'OPEN'],
        ['dense', 'IGNORED'],
        ['calm', 'OPEN'],
        ['calm', 'SNOOZED'],
        ['new-service', 'SNOOZED'],
      ] as const) {
        expect(searchingFor(windows, service, state), `${service} ${state}`).toHaveLength(1);
      }
    });

    it('never divides by state once a state the `states` field does not accept was seen', () => {
      const model = new ServiceDensityModel();
      model.record(scope, { start: 0, end: HOUR }, denseBucket(true), facts, false);
      const windows = model.initialWindows(scope, { start: HOUR, end: 2 * HOUR });
      expect(windows.some((window) => window.filter.states)).toBe(false);
      expect(searchingFor(windows, 'dense', 'SNOOZED')).toHaveLength(1);
    });

    it('nor once any search of the run showed one, such as a probe before a division by state', () => {
      const model = new ServiceDensityModel();
      model.record(scope, { start: 0, end: HOUR }, denseBucket(false), facts, false);
      const next = { start: HOUR, end: 2 * HOUR };
      expect(model.plan(scope, next, new Set(['OPEN'])).classes).toContain('|0');
      expect(model.plan(scope, next, new Set(['OPEN', 'SNOOZED'])).classes).not.toContain('|0');
    });

    it('nor once the API has refused or ignored the states field', () => {
      const model = new ServiceDensityModel();
      model.record(scope, { start: 0, end: HOUR }, denseBucket(false), facts, false);
      const next = { start: HOUR, end: 2 * HOUR };
      expect(model.plan(scope, next, new Set(['OPEN']), false).classes).not.toContain('|0');
    });

    it('divides a busy service searched in time windows by its error rate, in every state at once', () => {
      const model = new ServiceDensityModel();
      // 240 issues, 60 per quarter, none in two: each erred about once an hour.
      const quarters = [0, 1, 2, 3].map((index) =>
        stated(
          (index * HOUR) / 4,
          ((index + 1) * HOUR) / 4,
          { includeServices: ['busy'] },
          'busy',
          index % 2 ? 'OPEN' : 'RESOLVED',
          60,
          index * 60,
        ),
      );
      model.record(
        scope,
        { start: 0, end: HOUR },
        [...quarters, stated(0, HOUR, { excludeServices: ['busy'] }, 'other', 'OPEN', 5)],
        facts,
        false,
      );
      const windows = model.initialWindows(scope, { start: HOUR, end: 2 * HOUR });
      const busy = windows.filter((window) => window.filter.includeServices?.includes('busy'));
      // The rate r fits 240 × (1 − e^(−r / 4)) = 60: r = 1.15, and 240 × (1 − e^(−r / w)) ≤ 88 first holds
      // for w = 3 (77 issues a window; 105 for w = 2).
      expect(busy.map((window) => [window.from - HOUR, window.to - HOUR])).toEqual([
        [0, HOUR / 3],
        [HOUR / 3, (2 * HOUR) / 3],
        [(2 * HOUR) / 3, HOUR],
      ]);
      expect(busy.every((window) => window.filter.states === undefined)).toBe(true);
    });
  });
});
