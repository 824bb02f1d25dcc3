import { describe, expect, it } from 'vitest';
import type { ErrorTrackingApi } from '../../lib/datadog/api';
import { DatadogApiError } from '../../lib/datadog/errors';
import type { IssueWire, SearchRequestAttributes, SearchResponseWire } from '../../lib/datadog/types';
import { type BucketPlan, wholeBucketPlan } from '../../lib/enumerate/density';
import {
  type BucketEnumeration,
  type EnumerationContext,
  enumerateBucket,
  newPagingState,
} from '../../lib/enumerate/enumerate';
import { planByErrorType } from '../../lib/enumerate/error-type-plan';
import { type CheckedFacet, SearchFacetMisappliedError } from '../../lib/enumerate/filter-check';
import { buildSearchQuery, type SearchFilter } from '../../lib/enumerate/query';
import { MAX_SERVICES_EXCLUDED, type SplitKind } from '../../lib/enumerate/split';
import { matchesQuery, parseQuery } from '../../lib/simulator/query';

const HOUR = 3_600_000;
const bucket = { start: 0, end: HOUR };
const scope = { query: '*', persona: 'ALL' as const };

/** An API whose results depend only on the searched window, through `answer`. */
function apiAnswering(
  answer: (attributes: SearchRequestAttributes) => string[],
  searched: SearchRequestAttributes[],
  /** Each issue's errors in the window; the answer is expected to rank by it, as the API does. */
  totalCountOf: (issueId: string) => number = () => 1,
): ErrorTrackingApi {
  const unused = async () => null;
  return {
    async searchIssues(attributes) {
      searched.push(attributes);
      return {
        data: answer(attributes).map((id) => ({
          id,
          type: 'error_tracking_search_result',
          attributes: { total_count: totalCountOf(id) },
        })),
      };
    },
    getIssue: unused,
    getCase: unused,
    getTeam: unused,
    getUser: unused,
    stats: { requests: 0, searches: 0, retries: 0, rateLimited: 0, throttledMs: 0 },
  };
}

/** For tests of how windows are divided: a run that never pages a saturated window by issue id. */
const NO_PAGES = () => new Set<SplitKind>(['page']);

const context = (api: ErrorTrackingApi) => ({
  api,
  onResponse: () => {},
  issueOf: () => undefined,
  statesSeenInRun: new Set<string>(),
  maxSearchesPerBucket: 50,
  unavailableSplits: new Set<SplitKind>(),
  probes: new Map(),
  provenFacets: new Set<CheckedFacet>(),
  maxExcludedServices: { value: MAX_SERVICES_EXCLUDED },
  longestAcceptedQuery: { value: 0 },
  paging: newPagingState(),
});

/** Enumerates the bucket planned as one search of service `a`, whatever it takes to divide it within the budget. */
function enumerateServiceA(api: ErrorTrackingApi, maxSearchesPerBucket?: number) {
  const filter: SearchFilter = { includeServices: ['a'] };
  const plan: BucketPlan = {
    fixed: [{ from: bucket.start, to: bucket.end, filter, expected: 0 }],
    pieces: [],
    windowOf: () => ({ from: bucket.start, to: bucket.end, filter }),
    pieceOf: () => undefined,
  };
  const budget = maxSearchesPerBucket === undefined ? {} : { maxSearchesPerBucket };
  return enumerateBucket({ ...context(api), ...budget }, scope, bucket, plan);
}

describe('choosing between time and facets', () => {
  const ids = (prefix: string, count: number) =>
    Array.from({ length: count }, (_, index) => `${prefix}-${index}`);

  it('keeps halving time while saturated halves hold different issues, as in a burst', async () => {
    const searched: SearchRequestAttributes[] = [];
    // Short-lived issues: every window of 30 minutes or more is saturated, by issues of its own.
    const api = apiAnswering(
      ({ from, to }) => (to - from >= HOUR / 2 ? ids(`at-${from}`, 100) : ids(`at-${from}`, 60)),
      searched,
    );
    const enumeration = await enumerateServiceA(api);
    expect(enumeration.splits).toMatchObject({ time: 3, track: 0 });
    expect(searched.some((search) => search.track)).toBe(false);
  });

  it('turns to facets once saturated halves hold mostly the same issues', async () => {
    const searched: SearchRequestAttributes[] = [];
    // The same 150 issues error all hour; a track holds a third of them.
    const steady = ids('steady', 150);
    const trackOf = (index: number) => (['trace', 'logs', 'rum'] as const)[index % 3];
    const api = apiAnswering(
      ({ track }) => (track ? steady.filter((_, index) => trackOf(index) === track) : steady.slice(0, 100)),
      searched,
    );
    const enumeration = await enumerateServiceA(api);
    // The track divides the whole window, not each half: the halves' issues are the window's.
    expect(enumeration.splits).toMatchObject({ time: 1, track: 1 });
    expect(enumeration.incomplete).toEqual([]);
    // A track divides persona ALL, so a search by track names the track alone.
    const byTrack = searched.filter((search) => search.track);
    expect(byTrack.length).toBeGreaterThan(0);
    expect(byTrack.every((search) => search.persona === undefined)).toBe(true);
    expect(searched.filter((search) => !search.track).every((search) => search.persona === 'ALL')).toBe(true);
  });
});

/** The error the client raises for a search the API answered with a 400. */
function badRequest(message = 'Datadog answered 400'): DatadogApiError {
  return new DatadogApiError(message, {
    endpoint: 'POST /api/v2/error-tracking/issues/search',
    status: 400,
    attempts: 1,
  });
}

/** An API that refuses the error-type facet and otherwise finds `found` issues of service `busy`. */
function apiWithoutErrorTypes(found: number, searched: SearchRequestAttributes[]): ErrorTrackingApi {
  const unused = async () => null;
  return {
    async searchIssues(attributes) {
      if (attributes.query.includes('@error.type')) {
        throw badRequest();
      }
      searched.push(attributes);
      const response: SearchResponseWire = {
        data: Array.from({ length: found }, (_, index) => ({
          id: `issue-${index}`,
          type: 'error_tracking_search_result',
          attributes: { total_count: 2 },
        })),
      };
      return response;
    },
    getIssue: unused,
    getCase: unused,
    getTeam: unused,
    getUser: unused,
    stats: { requests: 0, searches: 0, retries: 0, rateLimited: 0, throttledMs: 0 },
  };
}

describe('enumerating a planned bucket', () => {
  it('starts the bucket over without error types when the API refuses a plan that names them', async () => {
    const searched: SearchRequestAttributes[] = [];
    const unavailableSplits = new Set<SplitKind>();
    const whole = { from: bucket.start, to: bucket.end };
    const plan: BucketPlan = {
      fixed: [
        { ...whole, filter: { includeServices: ['busy'], includeErrorTypes: ['A'] }, expected: 40 },
        { ...whole, filter: { includeServices: ['busy'], excludeErrorTypes: ['A'] }, expected: 30 },
        { ...whole, filter: { excludeServices: ['busy'] }, expected: 0 },
      ],
      pieces: [],
      windowOf: () => ({ ...whole, filter: {} }),
      pieceOf: () => undefined,
    };
    const enumeration = await enumerateBucket(
      {
        api: apiWithoutErrorTypes(70, searched),
        onResponse: () => {},
        issueOf: () => undefined,
        statesSeenInRun: new Set(),
        maxSearchesPerBucket: 50,
        unavailableSplits,
        probes: new Map(),
        // Proven by an earlier bucket, so the plan is searched as it is; an API refusing the facet later.
        provenFacets: new Set<CheckedFacet>(['error_type']),
        maxExcludedServices: { value: MAX_SERVICES_EXCLUDED },
        longestAcceptedQuery: { value: 0 },
        paging: newPagingState(),
      },
      scope,
      bucket,
      plan,
    );
    expect(unavailableSplits.has('error_type')).toBe(true);
    // Every search in flight finishes, then the bucket starts over from one unfiltered search.
    expect(searched.map((search) => search.query)).toEqual(['-service:busy', '*']);
    expect(enumeration.leaves.map((leaf) => [leaf.filter, leaf.results.length])).toEqual([[{}, 70]]);
    expect(enumeration.searches).toBe(4);
    expect(enumeration.incomplete).toEqual([]);
  });
});

/** Each search's query, ranking and states, in the order made. */
const asked = (searched: readonly SearchRequestAttributes[]) =>
  searched.map((search) => [search.query, search.order_by, search.states]);

/** A bucket planned with service `dense` searched by state (and the other services apart), and the same plan without states. */
function densePlans(): { byState: BucketPlan; withoutStates: BucketPlan } {
  const whole = { from: bucket.start, to: bucket.end };
  const byState: BucketPlan = {
    fixed: [
      { ...whole, filter: { includeServices: ['dense'], states: ['OPEN'] }, expected: 60 },
      { ...whole, filter: { excludeServices: ['dense'] }, expected: 20 },
    ],
    pieces: [],
    windowOf: () => ({ ...whole, filter: {} }),
    pieceOf: () => undefined,
  };
  const withoutStates: BucketPlan = {
    ...byState,
    fixed: [{ ...whole, filter: { includeServices: ['dense'] }, expected: 60 }],
  };
  return { byState, withoutStates };
}

/** Enumerates the bucket planned by state (`densePlans`), with the plan without states to fall back on. */
function enumerateDensePlans(enumerationContext: EnumerationContext): Promise<BucketEnumeration> {
  const { byState, withoutStates } = densePlans();
  return enumerateBucket(enumerationContext, scope, bucket, byState, () => withoutStates);
}

describe('issues in a track newer than trace, logs and rum', () => {
  // 150 issues err all hour; `new-0` and `new-1`, the loudest, are in a track no search by track selects.
  const issues = Array.from({ length: 150 }, (_, index) => (index < 2 ? `new-${index}` : `issue-${index}`));
  const trackOf = (issueId: string) =>
    issueId.startsWith('new')
      ? 'profiling'
      : (['trace', 'logs', 'rum'] as const)[Number(issueId.split('-')[1]) % 3];
  const errorsOf = (issueId: string) => (issueId.startsWith('new') ? 50 : 10);
  const answer = ({ track, from, to }: SearchRequestAttributes) =>
    issues
      .filter((issueId) => track === undefined || trackOf(issueId) === track)
      .filter(() => to - from >= 1)
      .slice(0, 100);

  it('starts the bucket over without tracks once a window divided by track shows one in none of its parts', async () => {
    const searched: SearchRequestAttributes[] = [];
    const unavailableSplits = new Set<SplitKind>(['service', 'error_type', 'states']);
    const enumeration = await enumerateBucket(
      { ...context(apiAnswering(answer, searched, errorsOf)), unavailableSplits },
      scope,
      bucket,
      wholeBucketPlan(bucket, false),
    );
    expect(unavailableSplits.has('track')).toBe(true);
    expect(searched.some((search) => search.track !== undefined)).toBe(true);
    // Started over, the bucket is not divided by track: only time is left, which cannot divide issues
    // erring all hour, so it is declared incomplete rather than missing the two.
    expect(enumeration.leaves.every((leaf) => leaf.filter.track === undefined)).toBe(true);
    expect(enumeration.splits.track).toBe(0);
    expect(enumeration.incomplete.length).toBeGreaterThan(0);
  });

  it('searches a plan naming a track as one search of the bucket once the run stopped dividing by track', async () => {
    const searched: SearchRequestAttributes[] = [];
    const byTrack: BucketPlan = {
      fixed: (['trace', 'logs', 'rum'] as const).map((track) => ({
        from: bucket.start,
        to: bucket.end,
        filter: { track },
        expected: 40,
      })),
      pieces: [],
      windowOf: () => ({ from: bucket.start, to: bucket.end, filter: {} }),
      pieceOf: () => undefined,
    };
    const few = () => ['issue-3', 'issue-4'];
    await enumerateBucket(
      { ...context(apiAnswering(few, searched)), unavailableSplits: new Set<SplitKind>(['track']) },
      scope,
      bucket,
      byTrack,
    );
    expect(searched.map((search) => search.track)).toEqual([undefined]);
  });
});

describe('a planned bucket whose division by state the API refuses', () => {
  it('starts over with the same plan made without states, not divided blindly', async () => {
    const searched: SearchRequestAttributes[] = [];
    const refused = badRequest();
    // The check of the dense service's newest issues (made before a plan by state) comes back under the
    // cap, as does the dense service searched alone.
    const api = apiAnswering(({ states, query }) => {
      if (states) throw refused;
      return Array.from({ length: query === '*' ? 100 : 60 }, (_, index) => `issue-${index}`);
    }, searched);
    const unavailableSplits = new Set<SplitKind>();
    const enumeration = await enumerateDensePlans({
      ...context(api),
      unavailableSplits,
      provenFacets: new Set<CheckedFacet>(['states']),
    });
    expect(unavailableSplits.has('states')).toBe(true);
    expect(enumeration.leaves.map((leaf) => leaf.filter)).toEqual([{ includeServices: ['dense'] }]);
    expect(searched.at(-1)?.query).toBe('service:dense');
    expect(searched[0]?.order_by).toBe('FIRST_SEEN');
  });

  it('checks the newest and loudest issues of a bucket planned by state first, and plans it without states when one is undocumented', async () => {
    const searched: SearchRequestAttributes[] = [];
    // The service divided by state has more issues than a search holds, but fewer than before.
    const api = apiAnswering(
      ({ query, order_by }) =>
        Array.from(
          { length: query === '*' || order_by === 'FIRST_SEEN' ? 100 : 60 },
          (_, index) => `${query}-${index}`,
        ),
      searched,
    );
    // The newest issues showed one in a state the `states` field does not accept.
    const statesSeenInRun = new Set(['OPEN']);
    const enumeration = await enumerateDensePlans({
      ...context(api),
      statesSeenInRun,
      onResponse: () => statesSeenInRun.add('SNOOZED'),
      provenFacets: new Set<CheckedFacet>(['states']),
    });
    // The checks rank the issues of the service divided by state, not every service's; the plan without
    // states comes after them.
    expect(asked(searched)).toEqual([
      ['service:dense', 'FIRST_SEEN', undefined],
      ['service:dense', 'TOTAL_COUNT', undefined],
      ['service:dense', 'TOTAL_COUNT', undefined],
    ]);
    expect(enumeration.leaves.map((leaf) => leaf.filter)).toEqual([{ includeServices: ['dense'] }]);
  });
});

describe('a bucket planned by state whose divided services have fewer issues than a search holds', () => {
  it('checks their newest issues only: ranked by count, the same issues would come back', async () => {
    const searched: SearchRequestAttributes[] = [];
    const api = apiAnswering(
      ({ query }) => Array.from({ length: 60 }, (_, index) => `${query}-${index}`),
      searched,
    );
    await enumerateDensePlans({ ...context(api), provenFacets: new Set<CheckedFacet>(['states']) });
    expect(asked(searched)).toEqual([
      ['service:dense', 'FIRST_SEEN', undefined],
      ['service:dense', 'TOTAL_COUNT', ['OPEN']],
      ['-service:dense', 'TOTAL_COUNT', undefined],
    ]);
  });
});

describe('a bucket planned by state without naming the services it divides', () => {
  const whole = { from: bucket.start, to: bucket.end };
  const byStateOnly: BucketPlan = {
    fixed: [
      { ...whole, filter: { states: ['OPEN'] }, expected: 60 },
      { ...whole, filter: { states: ['ACKNOWLEDGED', 'RESOLVED', 'IGNORED', 'EXCLUDED'] }, expected: 60 },
    ],
    pieces: [],
    windowOf: () => ({ ...whole, filter: {} }),
    pieceOf: () => undefined,
  };
  const enumerateWith = async (issuesInBucket: number) => {
    const searched: SearchRequestAttributes[] = [];
    const api = apiAnswering(
      ({ states }) =>
        Array.from(
          { length: Math.min(100, states ? issuesInBucket / 2 : issuesInBucket) },
          (_, index) => `i-${index}`,
        ),
      searched,
    );
    const enumeration = await enumerateBucket(
      { ...context(api), provenFacets: new Set<CheckedFacet>(['states']) },
      scope,
      bucket,
      byStateOnly,
    );
    return {
      enumeration,
      searched: asked(searched),
    };
  };

  it('checks the whole bucket ranked by first seen and by count before the plan', async () => {
    const { searched } = await enumerateWith(120);
    expect(searched).toEqual([
      ['*', 'FIRST_SEEN', undefined],
      ['*', 'TOTAL_COUNT', undefined],
      ['*', 'TOTAL_COUNT', ['OPEN']],
      ['*', 'TOTAL_COUNT', ['ACKNOWLEDGED', 'RESOLVED', 'IGNORED', 'EXCLUDED']],
    ]);
  });

  it('keeps the newest issues as the bucket when they come back under the cap, and searches nothing else', async () => {
    const { enumeration, searched } = await enumerateWith(80);
    expect(searched).toEqual([['*', 'FIRST_SEEN', undefined]]);
    expect(enumeration.leaves.map((leaf) => [leaf.filter, leaf.results.length])).toEqual([[{}, 80]]);
  });
});

describe('a search that leaves out an issue an earlier search of its hours returned', () => {
  /** An API whose search of service `a` leaves out issue a-1 the first `dropped` times it is asked. */
  const enumerateDropping = async (dropped: number) => {
    const searched: SearchRequestAttributes[] = [];
    let asked = 0;
    const api = apiAnswering(({ query }) => {
      if (query !== 'service:a') return ['a-1', 'b-1'];
      asked += 1;
      return asked <= dropped ? [] : ['a-1'];
    }, searched);
    const issueOf = (issueId: string): IssueWire => ({
      id: issueId,
      type: 'issue',
      attributes: { service: issueId.split('-')[0] },
    });
    const plan: BucketPlan = {
      fixed: [{ from: bucket.start, to: bucket.start + HOUR / 2, filter: {}, expected: 0 }],
      pieces: [1],
      windowOf: () => ({ from: bucket.start, to: bucket.end, filter: { includeServices: ['a'] } }),
      pieceOf: () => 0,
    };
    const enumeration = await enumerateBucket({ ...context(api), issueOf }, scope, bucket, plan).catch(
      (error: unknown) => error,
    );
    return { enumeration, searched };
  };

  it('searches once more, since an issue can drop out of one answer, and goes on when it is back', async () => {
    const { enumeration, searched } = await enumerateDropping(1);
    expect(searched.map((search) => search.query)).toEqual(['*', 'service:a', 'service:a']);
    expect((enumeration as BucketEnumeration).searches).toBe(3);
    expect((enumeration as BucketEnumeration).leaves.at(-1)?.results.map((result) => result.id)).toEqual([
      'a-1',
    ]);
  });

  it('stops when the second answer leaves it out too: the API does not apply the facet as named', async () => {
    const { enumeration } = await enumerateDropping(2);
    expect(enumeration).toBeInstanceOf(SearchFacetMisappliedError);
    expect((enumeration as SearchFacetMisappliedError).facet).toBe('service');
    expect((enumeration as Error).message).toMatch(/left out issue a-1/);
  });
});

describe('a remainder the API refuses as too long', () => {
  const refused = badRequest('Datadog answered 400: query too long');
  const quiet = Array.from({ length: 300 }, (_, index) => `quiet-${index}`);
  const planExcluding: BucketPlan = {
    fixed: [
      { ...bucket, from: bucket.start, to: bucket.end, filter: { excludeServices: quiet }, expected: 40 },
      { from: bucket.start, to: bucket.end, filter: { includeServices: quiet }, expected: 40 },
    ],
    pieces: [],
    windowOf: () => ({ from: bucket.start, to: bucket.end, filter: {} }),
    pieceOf: () => undefined,
  };
  /** An API that refuses a query excluding more than `most` services, and otherwise finds 40 issues. */
  const apiRefusingOver = (most: number, searched: SearchRequestAttributes[]) => {
    const api = apiAnswering(
      ({ query }) => Array.from({ length: 40 }, (_, index) => `${query}-${index}`),
      searched,
    );
    return {
      ...api,
      async searchIssues(attributes: SearchRequestAttributes) {
        const excluded = attributes.query.startsWith('-service:') ? attributes.query.split(' OR ').length : 0;
        if (excluded > most) throw refused;
        return api.searchIssues(attributes);
      },
    };
  };

  it('starts the bucket over with remainders excluding half as many services, for the rest of the run', async () => {
    const searched: SearchRequestAttributes[] = [];
    const maxExcludedServices = { value: MAX_SERVICES_EXCLUDED };
    const enumeration = await enumerateBucket(
      { ...context(apiRefusingOver(250, searched)), maxExcludedServices },
      scope,
      bucket,
      planExcluding,
    );
    expect(enumeration.incomplete).toEqual([]);
    expect(maxExcludedServices.value).toBe(quiet.length / 2);
    // Started over from one search of the whole bucket, which fits.
    expect(enumeration.leaves.map((leaf) => leaf.filter)).toEqual([{}]);
  });

  it("fails with the API's answer when a remainder of only a few services is refused", async () => {
    const maxExcludedServices = { value: MAX_SERVICES_EXCLUDED };
    const enumeration = enumerateBucket(
      { ...context(apiRefusingOver(0, [])), maxExcludedServices },
      scope,
      bucket,
      { ...planExcluding, fixed: [{ ...planExcluding.fixed[0]!, filter: { excludeServices: ['a', 'b'] } }] },
    );
    await expect(enumeration).rejects.toBe(refused);
    expect(maxExcludedServices.value).toBe(MAX_SERVICES_EXCLUDED);
  });
});

describe('a list of services the API refuses as too long', () => {
  const refused = badRequest('Datadog answered 400: query too long');
  const services = Array.from({ length: 300 }, (_, index) => `quiet-service-${index}`);
  const planNaming = (named: readonly string[]): BucketPlan => ({
    fixed: [{ from: bucket.start, to: bucket.end, filter: { includeServices: named }, expected: 40 }],
    pieces: [],
    windowOf: () => ({ from: bucket.start, to: bucket.end, filter: {} }),
    pieceOf: () => undefined,
  });
  /** An API that refuses a query longer than `most` characters (kept in `refusals`), and otherwise finds 5 issues. */
  const apiRefusingLongerThan = (
    most: number,
    searched: SearchRequestAttributes[],
    refusals: SearchRequestAttributes[] = [],
  ) => {
    const api = apiAnswering(
      ({ query }) =>
        Array.from({ length: 5 }, (_, index) => `${query.length}-${query.slice(9, 30)}-${index}`),
      searched,
    );
    return {
      ...api,
      async searchIssues(attributes: SearchRequestAttributes) {
        if (attributes.query.length > most) {
          refusals.push(attributes);
          throw refused;
        }
        return api.searchIssues(attributes);
      },
    };
  };

  it('searches the list as halves, each named service in exactly one, as one window', async () => {
    const searched: SearchRequestAttributes[] = [];
    const longestAcceptedQuery = { value: 0 };
    const enumeration = await enumerateBucket(
      { ...context(apiRefusingLongerThan(2_000, searched)), longestAcceptedQuery },
      scope,
      bucket,
      planNaming(services),
    );
    expect(enumeration.incomplete).toEqual([]);
    const accepted = searched.filter((search) => search.query.length <= 2_000);
    const named = accepted.flatMap((search) => search.query.replace(/^service:\(|\)$/g, '').split(' OR '));
    expect(named.sort()).toEqual([...services].sort());
    expect(enumeration.leaves.map((leaf) => [leaf.filter, leaf.results.length])).toEqual([
      [{ includeServices: services }, 5 * accepted.length],
    ]);
    expect(longestAcceptedQuery.value).toBe(Math.max(...accepted.map((search) => search.query.length)));
  });

  it('takes a refused query of 1,000 characters or fewer to name a facet the API lacks, not to be too long', async () => {
    const refusals: SearchRequestAttributes[] = [];
    const enumeration = enumerateBucket(
      context(apiRefusingLongerThan(100, [], refusals)),
      scope,
      bucket,
      planNaming(services.slice(0, 30)),
    );
    await expect(enumeration).rejects.toBe(refused);
    expect(refusals.map((search) => search.query.length)).toEqual([
      buildSearchQuery('*', { includeServices: services.slice(0, 30) }).length,
    ]);
  });
});

describe('a bucket that needs more searches than its budget', () => {
  it('is declared incomplete with the windows it could not search, rather than searched forever', async () => {
    // 300 issues of one service error all bucket long, and nothing tells them apart but time.
    const issues = Array.from({ length: 300 }, (_, index) => `a-${index}`);
    const searched: SearchRequestAttributes[] = [];
    const api = apiAnswering(() => issues.slice(0, 100), searched);
    const enumeration = await enumerateServiceA(api, 5);
    expect(enumeration.searches).toBeLessThanOrEqual(5);
    expect(searched.length).toBe(enumeration.searches);
    // The bucket and its two saturated halves took 3 searches; dividing the bucket by track, as halves
    // that hold the same issues call for, takes 3 more and does not fit in 5.
    expect(enumeration.incomplete.map((window) => [window.from, window.to])).toEqual([
      ['1970-01-01T00:00:00.000Z', '1970-01-01T01:00:00.000Z'],
    ]);
    expect(enumeration.incomplete.every((window) => window.reason.includes('search budget of 5'))).toBe(true);
  });
});

/** Issues of these services, each erring `count` times (plus up to 4), searched as the API would. */
function searchableOrg(services: ReadonlyArray<{ name: string; issues: number; count: number }>) {
  const issues = services.flatMap(({ name, issues: total, count }) =>
    Array.from({ length: total }, (_, index) => ({
      id: `${name}-${index}`,
      service: name,
      errorType: `Type${index % 7}`,
      count: count + (index % 5),
    })),
  );
  const byId = new Map(issues.map((issue) => [issue.id, issue]));
  const searched: SearchRequestAttributes[] = [];
  const api = apiAnswering(
    (attributes) =>
      issues
        .filter((issue) =>
          matchesQuery(parseQuery(attributes.query), {
            id: issue.id,
            service: issue.service,
            platform: '',
            languages: [],
            errorType: issue.errorType,
          }),
        )
        .sort((left, right) => right.count - left.count || (left.id < right.id ? -1 : 1))
        .slice(0, 100)
        .map((issue) => issue.id),
    searched,
    (issueId) => byId.get(issueId)!.count,
  );
  const issueOf = (issueId: string): IssueWire => {
    const issue = byId.get(issueId)!;
    return {
      id: issueId,
      type: 'issue',
      attributes: { service: issue.service, error_type: issue.errorType },
    };
  };
  // Discovery's sample and plan are under test, not pages by issue id.
  const enumerate = () =>
    enumerateBucket(
      { ...context(api), issueOf, unavailableSplits: NO_PAGES() },
      scope,
      bucket,
      wholeBucketPlan(bucket, true),
    );
  return { issues, searched, enumerate };
}

function expectEveryIssueOnce(enumeration: BucketEnumeration, issues: ReadonlyArray<{ id: string }>) {
  const found = enumeration.leaves.flatMap((leaf) => leaf.results.map((result) => result.id));
  expect(found.sort()).toEqual(issues.map((issue) => issue.id).sort());
  expect(enumeration.leaves.every((leaf) => leaf.results.length < 100)).toBe(true);
  expect(enumeration.incomplete).toEqual([]);
}

describe('a bucket with nothing to plan from', () => {
  it('plans everything from two saturated searches when the services shown least still fill one, and finds every issue once', async () => {
    // Two loud services hide many quiet ones; loudness decides which 100 issues a saturated search shows.
    const { issues, searched, enumerate } = searchableOrg([
      ...Array.from({ length: 2 }, (_, index) => ({ name: `loud-${index}`, issues: 45, count: 50 })),
      ...Array.from({ length: 10 }, (_, index) => ({ name: `quiet-${index}`, issues: 30, count: 1 })),
    ]);
    const enumeration = await enumerate();
    // The first search shows only loud issues, and the search of everything else saturates too; so does
    // the search of the quiet services it showed least, and a search of the quietest one counts them.
    expect(searched[1]?.query).toBe('-service:(loud-0 OR loud-1)');
    expect(searched[2]?.query).toMatch(/^-service:\(loud-0 OR loud-1 OR quiet-/);
    expectEveryIssueOnce(enumeration, issues);
    // 390 issues need 4 searches at least. The loud issues, shown ten times louder than the quietest
    // shown, stand for themselves; the quiet services are scaled by the count of the quietest one.
    expect(enumeration.searches).toBeLessThanOrEqual(10);
  });

  it('scales the services shown by the ones shown least, not by the many services never shown', async () => {
    // A first search shows the busy services; the search of the rest is mostly services it never showed.
    const { issues, enumerate } = searchableOrg([
      ...Array.from({ length: 6 }, (_, index) => ({ name: `busy-${index}`, issues: 30, count: 20 - index })),
      ...Array.from({ length: 80 }, (_, index) => ({ name: `quiet-${index}`, issues: 4, count: 1 })),
    ]);
    const enumeration = await enumerate();
    expectEveryIssueOnce(enumeration, issues);
    // Scaled by every issue the search of the rest found, the busy services came out about five times
    // too big, and their pieces filled searches poorly: 46 searches (500 issues need 6 at least).
    expect(enumeration.searches).toBeLessThanOrEqual(36);
  });

  it('with a single service shown, searches its error types shown least apart to plan the others', async () => {
    const { issues, searched, enumerate } = searchableOrg([{ name: 'api', issues: 360, count: 2 }]);
    const enumeration = await enumerate();
    // Everything but the types shown most: other services, and the api issues of every other type.
    expect(searched[1]?.query).toMatch(
      /^\(\(-service:api\) OR \(service:api AND -@error\.type:\(Type\d( OR Type\d)+\)\)\)$/,
    );
    expectEveryIssueOnce(enumeration, issues);
    // 360 issues need 4 searches at least; halving blindly by service and error type took 14.
    expect(enumeration.searches).toBeLessThanOrEqual(9);
  });

  it('with a few busy services, each shown often, still searches the one shown least apart to plan the others', async () => {
    const { issues, searched, enumerate } = searchableOrg(
      ['api', 'web', 'worker'].map((name, index) => ({ name, issues: 150 - 30 * index, count: 2 })),
    );
    const enumeration = await enumerate();
    expect(searched[1]?.query).toBe('-service:(api OR web)');
    expectEveryIssueOnce(enumeration, issues);
    // 360 issues need 4 searches at least; halving blindly by service and error type took 10 here.
    expect(enumeration.searches).toBeLessThanOrEqual(9);
  });
});

describe('error types whose issues err throughout', () => {
  it('divides those too big for one search by track without searching each whole, each track once for all', async () => {
    // Two error types of one service, 150 issues each, every one erring all hour on the rum track, 90 open
    // and 60 resolved: the bucket before measured them erring throughout.
    const issues = ['Crash', 'Hang'].flatMap((errorType) =>
      Array.from({ length: 150 }, (_, index) => ({
        id: `${errorType}-${index}`,
        errorType,
        state: index < 90 ? 'OPEN' : 'RESOLVED',
      })),
    );
    const byId = new Map(issues.map((issue) => [issue.id, issue]));
    const searched: SearchRequestAttributes[] = [];
    const api = apiAnswering(
      (attributes) =>
        issues
          .filter(
            (issue) =>
              (attributes.track === undefined || attributes.track === 'rum') &&
              (attributes.states === undefined || attributes.states.includes(issue.state)) &&
              matchesQuery(parseQuery(attributes.query), {
                id: issue.id,
                service: 'app',
                platform: '',
                languages: [],
                errorType: issue.errorType,
              }),
          )
          .slice(0, 100)
          .map((issue) => issue.id),
      searched,
    );
    const issueOf = (issueId: string): IssueWire => ({
      id: issueId,
      type: 'issue',
      attributes: {
        service: 'app',
        error_type: byId.get(issueId)!.errorType,
        state: byId.get(issueId)!.state,
      },
    });
    const throughout = new Map([
      ['Crash', 1000],
      ['Hang', 1000],
    ]);
    const plan = planByErrorType(
      {
        services: new Map([
          [
            'app',
            {
              total: 300,
              byType: new Map([
                ['Crash', 150],
                ['Hang', 150],
              ]),
              untyped: 0,
              newTypes: 0,
              errorRates: throughout,
            },
          ],
        ]),
        withoutService: 0,
        totalIssues: 300,
      },
      bucket,
    );
    const enumeration = await enumerateBucket(
      { ...context(api), issueOf, unavailableSplits: NO_PAGES() },
      scope,
      bucket,
      plan,
    );
    expectEveryIssueOnce(enumeration, issues);
    // Neither type is searched whole; trace, logs and rum are each searched once for both, rum then for
    // each (it saturates), and each is divided by state.
    const namesOne = (attributes: SearchRequestAttributes) =>
      /(?<!-)@error\.type:(Crash|Hang)/.test(attributes.query);
    const namesBoth = (attributes: SearchRequestAttributes) =>
      /(?<!-)@error\.type:Crash\b/.test(attributes.query) &&
      /(?<!-)@error\.type:Hang\b/.test(attributes.query);
    expect(searched.filter((attributes) => namesOne(attributes) && !attributes.track)).toEqual([]);
    expect(
      searched
        .filter(namesBoth)
        .map((attributes) => attributes.track)
        .sort(),
    ).toEqual(['logs', 'rum', 'trace']);
    expect(searched.filter((attributes) => attributes.states).length).toBe(4);
  });
});
