import { describe, expect, it } from 'vitest';
import type { SearchResultWire } from '../../lib/datadog/types';
import { alignedBuckets } from '../../lib/enumerate/buckets';
import { buildSearchQuery, describeFilter, quoteSearchValue, searchValue } from '../../lib/enumerate/query';
import {
  chooseSplit,
  halvesOf,
  MAX_SERVICES_EXCLUDED,
  packServices,
  type SaturatedResult,
} from '../../lib/enumerate/split';

function saturated(
  services: Array<string | undefined>,
  state = 'OPEN',
  errorTypes: Array<string | undefined> = [],
): SaturatedResult {
  const results: SearchResultWire[] = services.map((_, index) => ({
    id: `issue-${index}`,
    type: 'error_tracking_search_result',
    attributes: { total_count: 1 },
  }));
  return {
    results,
    serviceOf: (issueId) => services[Number(issueId.slice(6))],
    stateOf: () => state,
    errorTypeOf: (issueId) => errorTypes[Number(issueId.slice(6))],
  };
}

const hour = { from: 0, to: 3_600_000 };

describe('query building', () => {
  it('leaves plain words bare and quotes odd values, keywords and wildcards so they stay one value', () => {
    expect(quoteSearchValue('a "b" \\c')).toBe('"a \\"b\\" \\\\c"');
    expect(buildSearchQuery('*', { includeServices: ['with space', 'a=b'] })).toBe(
      'service:("with space" OR "a=b")',
    );
    expect(buildSearchQuery('env:prod', { excludeServices: ['x'] })).toBe('(env:prod) AND -service:x');
    expect(buildSearchQuery('  ', {})).toBe('*');
    expect(
      buildSearchQuery('env:prod', { includeServices: ['a'], excludeErrorTypes: ['TypeError', 'a "b"'] }),
    ).toBe('(env:prod) AND service:a AND -@error.type:(TypeError OR "a \\"b\\"")');
    expect(searchValue('web-api_2.v1')).toBe('web-api_2.v1');
  });

  it('leaves out the issues a page excludes, whatever else the filter names', () => {
    const ids = ['0b6e1c2a-1f64-11ee-b338-da7ad0900002', 'c1726a66-1f64-11ee-b338-da7ad0900002'];
    expect(buildSearchQuery('*', { excludeIssues: ids })).toBe(`-@issue.id:(${ids.join(' OR ')})`);
    expect(
      buildSearchQuery('env:prod', {
        anyOf: [{ includeServices: ['a'] }, { includeServices: ['b'], includeErrorTypes: ['KeyError'] }],
        excludeIssues: ids.slice(0, 1),
      }),
    ).toBe(`(env:prod) AND ((service:a) OR (service:b AND @error.type:KeyError)) AND -@issue.id:${ids[0]}`);
    expect(describeFilter({ includeServices: ['a'], excludeIssues: ids })).toBe(
      'service:a -@issue.id:(2 issues)',
    );
  });

  it('writes alternatives naming only services as one service term, which any API of the reference reads', () => {
    const remainderWithNamed = {
      anyOf: [{ includeServices: ['a', 'b'] }, { excludeServices: ['a', 'b', 'c', 'd'] }],
    };
    expect(buildSearchQuery('*', remainderWithNamed)).toBe('-service:(c OR d)');
    expect(buildSearchQuery('*', { anyOf: [{ includeServices: ['a'] }, { includeServices: ['b'] }] })).toBe(
      'service:(a OR b)',
    );
    // Issues outside both exclusions: those of services both exclude, less the one included again.
    expect(
      buildSearchQuery('*', {
        anyOf: [
          { excludeServices: ['a', 'b', 'c'] },
          { excludeServices: ['b', 'c', 'd'] },
          { includeServices: ['c'] },
        ],
      }),
    ).toBe('-service:b');
    expect(
      buildSearchQuery('env:prod', { anyOf: [{ includeServices: ['a'] }, { excludeServices: ['a'] }] }),
    ).toBe('env:prod');
    // Clauses naming error types stay alternatives of their own.
    expect(
      buildSearchQuery('*', {
        anyOf: [
          { includeServices: ['a'] },
          { excludeServices: ['a', 'b'] },
          { includeServices: ['b'], includeErrorTypes: ['KeyError'] },
        ],
      }),
    ).toBe('((-service:b) OR (service:b AND @error.type:KeyError))');
    for (const odd of ['-leading', 'or', 'NOT', 'a*', 'a?', 'Module::Error', 'a/b', 'ünï', ''])
      expect(searchValue(odd)).toBe(quoteSearchValue(odd));
  });
});

describe('aligned buckets', () => {
  it('widens the range outward to whole UTC buckets, half-open', () => {
    const buckets = alignedBuckets(Date.UTC(2026, 0, 1, 1, 30), Date.UTC(2026, 0, 1, 3, 10), 3_600_000);
    expect(buckets.map((bucket) => new Date(bucket.start).toISOString())).toEqual([
      '2026-01-01T01:00:00.000Z',
      '2026-01-01T02:00:00.000Z',
      '2026-01-01T03:00:00.000Z',
    ]);
    expect(buckets.at(-1)?.end).toBe(Date.UTC(2026, 0, 1, 4));
  });
});

describe('packing services', () => {
  it('packs by expected count without exceeding the limit, dense services alone', () => {
    const groups = packServices(
      new Map([
        ['a', 70],
        ['b', 50],
        ['c', 20],
        ['d', 10],
        ['e', 120],
      ]),
      80,
    );
    expect(groups).toEqual([['e'], ['a', 'd'], ['b', 'c']]);
  });
});

describe('choosing a split', () => {
  const scope = { query: '*', persona: 'ALL' as const };
  const none = new Set<string>();

  it('splits an unfiltered window by the services seen, the least seen left to a remainder that excludes the others', () => {
    const split = chooseSplit(
      { ...hour, filter: {} },
      saturated([...Array(60).fill('a'), ...Array(40).fill('b')]),
      scope,
      none,
    );
    expect(split?.kind).toBe('service');
    // The least seen service is left to the remainder, which excludes the others.
    expect(split?.windows.map((window) => window.filter)).toEqual([
      { includeServices: ['a'] },
      { excludeServices: ['a'] },
    ]);
    expect(split?.windows.every((window) => window.from === 0 && window.to === 3_600_000)).toBe(true);
  });

  it('groups rarely seen services into one search', () => {
    const services = [...Array(90).fill('big'), 's1', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10'];
    const split = chooseSplit({ ...hour, filter: {} }, saturated(services), scope, none);
    // The rare services' group doubles as the remainder: everything but the dense service.
    expect(split?.windows.map((window) => window.filter)).toEqual([
      { includeServices: ['big'] },
      { excludeServices: ['big'] },
    ]);
  });

  it('grows the remainder exclusion list when a remainder saturates', () => {
    const split = chooseSplit(
      { ...hour, filter: { excludeServices: ['a'] } },
      saturated(Array(100).fill('c')),
      scope,
      none,
    );
    expect(split?.windows.map((window) => window.filter)).toEqual([
      { includeServices: ['c'] },
      { excludeServices: ['a', 'c'] },
    ]);
  });

  it('names no more services than a remainder may exclude, and divides one that excludes that many by time', () => {
    const excluded = Array.from({ length: MAX_SERVICES_EXCLUDED - 2 }, (_, index) => `quiet-${index}`);
    const seen = ['c', 'd', 'e', 'f'].flatMap((service, index) => Array(40 - 10 * index).fill(service));
    const split = chooseSplit(
      { ...hour, filter: { excludeServices: excluded } },
      saturated(seen),
      scope,
      none,
    );
    // Two of the four services seen fit: the most seen is named, the other shares the remainder's search.
    expect(split?.windows.map((window) => window.filter)).toEqual([
      { includeServices: ['c'] },
      { excludeServices: [...excluded, 'c'] },
    ]);
    const full = Array.from({ length: MAX_SERVICES_EXCLUDED }, (_, index) => `quiet-${index}`);
    expect(
      chooseSplit({ ...hour, filter: { excludeServices: full } }, saturated(seen), scope, none)?.kind,
    ).toBe('time');
  });

  it('never names an empty or missing service, and falls back to time when only those remain', () => {
    const split = chooseSplit(
      { ...hour, filter: { excludeServices: ['a'] } },
      saturated([...Array(50).fill(''), ...Array(50).fill(undefined)]),
      scope,
      none,
    );
    expect(split?.kind).toBe('time');
    expect(split?.windows.map((window) => [window.from, window.to])).toEqual([
      [0, 1_800_000],
      [1_800_000, 3_600_000],
    ]);
  });

  it('splits a multi-service group into its services', () => {
    const split = chooseSplit(
      { ...hour, filter: { includeServices: ['a', 'b'] } },
      saturated(Array(100).fill('a')),
      scope,
      none,
    );
    expect(split?.windows.map((window) => window.filter.includeServices)).toEqual([['a'], ['b']]);
  });

  it('splits one service by time, then by track once time stops helping', () => {
    const one = { includeServices: ['a'] };
    expect(chooseSplit({ ...hour, filter: one }, saturated(Array(100).fill('a')), scope, none)?.kind).toBe(
      'time',
    );
    const dense = chooseSplit(
      { ...hour, filter: one, timeDense: true },
      saturated(Array(100).fill('a')),
      scope,
      none,
    );
    expect(dense?.kind).toBe('track');
    expect(dense?.windows.map((window) => window.filter.track)).toEqual(['trace', 'logs', 'rum']);
  });

  it('divides by track before time when the issues shown erred so often that both halves would saturate', () => {
    const one = { includeServices: ['a'] };
    const erringOften = (count: number): SaturatedResult => {
      const shown = saturated(Array(100).fill('a'));
      return {
        ...shown,
        results: shown.results.map((result) => ({ ...result, attributes: { total_count: count } })),
      };
    };
    // Three times each: a half holds about 88 of the 100 shown, so halving is still worth a try.
    expect(chooseSplit({ ...hour, filter: one }, erringOften(3), scope, none)?.kind).toBe('time');
    // Four times each: about 94 in each half, most of them in both.
    expect(chooseSplit({ ...hour, filter: one }, erringOften(4), scope, none)?.kind).toBe('track');
    // Never by state before time, whose probe for undocumented states suits only issues erring throughout.
    expect(
      chooseSplit({ ...hour, filter: { ...one, track: 'trace' } }, erringOften(4), scope, none)?.kind,
    ).toBe('time');
  });

  it('splits issues that error continuously in one service and track by error type, the smallest group as the remainder', () => {
    const window = { ...hour, filter: { includeServices: ['a'], track: 'trace' as const }, timeDense: true };
    const types = [...Array(60).fill('X'), ...Array(25).fill('Y'), ...Array(15).fill('Z')];
    const split = chooseSplit(window, saturated(Array(100).fill('a'), 'OPEN', types), scope, none);
    expect(split?.kind).toBe('error_type');
    expect(split?.windows.map((part) => part.filter)).toEqual([
      { includeServices: ['a'], track: 'trace', includeErrorTypes: ['X'] },
      { includeServices: ['a'], track: 'trace', excludeErrorTypes: ['X'] },
    ]);
    expect(split?.windows.every((part) => part.timeDense)).toBe(true);
    // Once the API has refused the facet, states come next.
    expect(
      chooseSplit(
        window,
        saturated(Array(100).fill('a'), 'OPEN', types),
        scope,
        none,
        new Set(['error_type']),
      )?.kind,
    ).toBe('states');
  });

  it('names the one error type seen and excludes it in the remainder', () => {
    const window = { ...hour, filter: { includeServices: ['a'], track: 'rum' as const }, timeDense: true };
    const split = chooseSplit(
      window,
      saturated(Array(100).fill('a'), 'OPEN', Array(100).fill('X')),
      scope,
      none,
    );
    expect(split?.windows.map((part) => part.filter)).toEqual([
      { includeServices: ['a'], track: 'rum', includeErrorTypes: ['X'] },
      { includeServices: ['a'], track: 'rum', excludeErrorTypes: ['X'] },
    ]);
  });

  it('does not split by track under a persona other than ALL or an explicit track', () => {
    const window = { from: 5, to: 6, filter: { includeServices: ['a'] } };
    const backend = chooseSplit(
      window,
      saturated(Array(100).fill('a')),
      { query: '*', persona: 'BACKEND' },
      none,
    );
    expect(backend?.kind).toBe('states');
    const track = chooseSplit(window, saturated(Array(100).fill('a')), { query: '*', track: 'rum' }, none);
    expect(track?.kind).toBe('states');
  });

  it('splits by state with every documented state covered', () => {
    const window = { from: 5, to: 6, filter: { includeServices: ['a'], track: 'trace' as const } };
    const split = chooseSplit(window, saturated(Array(100).fill('a'), 'OPEN'), scope, new Set(['OPEN']));
    expect(split?.windows.map((part) => part.filter.states)).toEqual([
      ['OPEN'],
      ['ACKNOWLEDGED', 'RESOLVED', 'IGNORED', 'EXCLUDED'],
    ]);
  });

  it('refuses a state split once the run has seen a state that cannot be searched for', () => {
    const window = { from: 5, to: 6, filter: { includeServices: ['a'], track: 'trace' as const } };
    expect(
      chooseSplit(window, saturated(Array(100).fill('a'), 'OPEN'), scope, new Set(['OPEN', 'SNOOZED'])),
    ).toBeUndefined();
  });

  it('gives up on one millisecond of one service, one track and one state', () => {
    const window = {
      from: 5,
      to: 6,
      filter: { includeServices: ['a'], track: 'trace' as const, states: ['OPEN'] },
    };
    expect(chooseSplit(window, saturated(Array(100).fill('a')), scope, none)).toBeUndefined();
  });
});

describe('halving a filter whose query the API refuses as too long', () => {
  it('halves the services its one clause names, keeping its track, states and error types', () => {
    const filter = {
      includeServices: ['a', 'b', 'c'],
      includeErrorTypes: ['x'],
      track: 'trace' as const,
      states: ['OPEN'],
    };
    expect(halvesOf(filter)).toEqual([
      { ...filter, includeServices: ['a', 'b'] },
      { ...filter, includeServices: ['c'] },
    ]);
  });

  it('halves a packed search by clause, a single clause becoming a plain filter again', () => {
    const anyOf = [
      { includeServices: ['a'] },
      { includeServices: ['b'], excludeErrorTypes: ['x'] },
      { excludeServices: ['a', 'b', 'c'] },
    ];
    expect(halvesOf({ anyOf, track: 'logs' })).toEqual([
      { anyOf: anyOf.slice(0, 2), track: 'logs' },
      { excludeServices: ['a', 'b', 'c'], track: 'logs' },
    ]);
  });

  it("halves one service's error types", () => {
    expect(halvesOf({ includeServices: ['a'], includeErrorTypes: ['x', 'y'] })).toEqual([
      { includeServices: ['a'], includeErrorTypes: ['x'] },
      { includeServices: ['a'], includeErrorTypes: ['y'] },
    ]);
  });

  it('cannot halve a remainder, whose exclusions select more when halved, nor a single value', () => {
    expect(halvesOf({ excludeServices: ['a', 'b'] })).toBeUndefined();
    expect(halvesOf({ includeServices: ['a'], excludeErrorTypes: ['x', 'y'] })).toBeUndefined();
    expect(halvesOf({})).toBeUndefined();
  });
});
