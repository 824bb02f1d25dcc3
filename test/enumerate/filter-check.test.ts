import { describe, expect, it } from 'vitest';
import type { IssueAttributesWire, SearchResponseWire } from '../../lib/datadog/types';
import {
  BucketSightings,
  checkResultsMatchFilter,
  SearchFacetMisappliedError,
  shownInNoTrack,
  suspectFacet,
} from '../../lib/enumerate/filter-check';
import type { SearchFilter } from '../../lib/enumerate/query';
import { UserError } from '../../lib/errors';

function response(...issues: Array<[string, IssueAttributesWire | undefined]>): SearchResponseWire {
  return {
    data: issues.map(([id]) => ({
      id,
      type: 'error_tracking_search_result',
      attributes: { total_count: 1 },
      relationships: { issue: { data: { id, type: 'issue' } } },
    })),
    included: issues.flatMap(([id, attributes]) =>
      attributes ? [{ id, type: 'issue' as const, attributes }] : [],
    ),
  };
}

function failure(filter: SearchFilter, body: SearchResponseWire): SearchFacetMisappliedError | undefined {
  try {
    checkResultsMatchFilter(filter, body);
    return undefined;
  } catch (error) {
    if (error instanceof SearchFacetMisappliedError) return error;
    throw error;
  }
}

describe('checkResultsMatchFilter', () => {
  const typeErrorInApi = { service: 'api', error_type: 'TypeError', state: 'OPEN' };

  it('accepts results that match every facet, whatever the case of a value', () => {
    const body = response(['a', typeErrorInApi], ['b', { service: 'API', error_type: 'typeerror' }]);
    expect(failure({ includeServices: ['api'], includeErrorTypes: ['TypeError'] }, body)).toBeUndefined();
    expect(failure({ excludeServices: ['web'], excludeErrorTypes: ['KeyError'] }, body)).toBeUndefined();
    expect(failure({}, body)).toBeUndefined();
  });

  it('blames error types for an issue of an excluded or unnamed type in a named service', () => {
    const body = response(['a', typeErrorInApi]);
    expect(failure({ includeServices: ['api'], includeErrorTypes: ['KeyError'] }, body)?.facet).toBe(
      'error_type',
    );
    expect(failure({ includeServices: ['api'], excludeErrorTypes: ['TypeError'] }, body)?.facet).toBe(
      'error_type',
    );
  });

  it('blames services for an issue of a service the filter leaves out', () => {
    const body = response(['a', typeErrorInApi]);
    expect(failure({ includeServices: ['web'] }, body)?.facet).toBe('service');
    expect(failure({ excludeServices: ['api', 'web'] }, body)?.facet).toBe('service');
  });

  it('checks a packed filter clause by clause', () => {
    const packed: SearchFilter = {
      anyOf: [{ includeServices: ['web'] }, { includeServices: ['api'], includeErrorTypes: ['KeyError'] }],
    };
    expect(failure(packed, response(['a', { service: 'web', error_type: 'TypeError' }]))).toBeUndefined();
    expect(failure(packed, response(['a', typeErrorInApi]))?.facet).toBe('error_type');
    // An issue of a service no clause names, from a query naming error types: the API may have read the
    // whole query wrongly, so the facet the run can do without takes the blame first.
    expect(failure(packed, response(['a', { service: 'db', error_type: 'KeyError' }]))?.facet).toBe(
      'error_type',
    );
    const servicesOnly: SearchFilter = {
      anyOf: [{ includeServices: ['web'] }, { excludeServices: ['api', 'db', 'web'] }],
    };
    expect(failure(servicesOnly, response(['a', { service: 'db', error_type: 'KeyError' }]))?.facet).toBe(
      'service',
    );
  });

  it('checks states against the issue object of the same response', () => {
    const error = failure({ states: ['ACKNOWLEDGED', 'RESOLVED'] }, response(['a', typeErrorInApi]));
    expect(error?.facet).toBe('states');
    expect(failure({ states: ['OPEN'] }, response(['a', typeErrorInApi]))).toBeUndefined();
  });

  it('cannot check, and so accepts, issues whose object or attribute is missing', () => {
    expect(failure({ includeServices: ['web'] }, response(['a', undefined]))).toBeUndefined();
    expect(failure({ includeErrorTypes: ['KeyError'] }, response(['a', { service: 'api' }]))).toBeUndefined();
    expect(failure({ states: ['RESOLVED'] }, response(['a', { service: 'api' }]))).toBeUndefined();
  });

  it('says in one line which facet the API ignored and what to check, as a user error', () => {
    const error = failure({ includeServices: ['web'] }, response(['issue-1', typeErrorInApi]));
    expect(error).toBeInstanceOf(UserError);
    expect(error?.message).not.toContain('\n');
    expect(error?.message).toMatch(
      /issue-1 \(service "api"\).*service:web.*does not apply the service: term/,
    );
    expect(error?.message).toMatch(/DD_SITE or DD_API_URL/);
  });
});

describe('BucketSightings', () => {
  const issues: Record<string, IssueAttributesWire> = {
    a: { service: 'api', error_type: 'TypeError', state: 'OPEN' },
    b: { service: 'web', error_type: 'KeyError', state: 'RESOLVED' },
    c: { error_type: 'KeyError', state: 'OPEN' },
  };
  const attributesOf = (issueId: string) => issues[issueId];
  const HOUR = 3_600_000;
  const whole = { from: 0, to: HOUR };
  const firstHalf = { from: 0, to: HOUR / 2 };
  /** A saturated response: 100 results, the named issues among them. */
  const saturated = (...ids: string[]) =>
    response(
      ...ids.map((id): [string, IssueAttributesWire | undefined] => [id, issues[id]]),
      ...Array.from({ length: 100 - ids.length }, (_, index): [string, undefined] => [
        `other-${index}`,
        undefined,
      ]),
    );
  const seenFirst = (track?: 'trace' | 'logs' | 'rum') => {
    const sightings = new BucketSightings();
    sightings.observe({ ...firstHalf, filter: {} }, track, saturated('a', 'b', 'c'), attributesOf);
    return sightings;
  };
  const observed = (
    sightings: BucketSightings,
    search: { from: number; to: number; filter: SearchFilter },
    track?: 'trace' | 'logs' | 'rum',
    ...ids: string[]
  ) => {
    try {
      sightings.observe(
        search,
        track,
        response(...ids.map((id): [string, undefined] => [id, undefined])),
        attributesOf,
      );
      return undefined;
    } catch (error) {
      if (error instanceof SearchFacetMisappliedError) return error;
      throw error;
    }
  };

  it('blames the facet of a search under the cap that left out an issue it names, seen earlier in its hours', () => {
    const missingType = observed(seenFirst(), {
      ...whole,
      filter: { includeServices: ['api'], includeErrorTypes: ['TypeError'] },
    });
    expect(missingType?.facet).toBe('error_type');
    expect(missingType?.message).toMatch(/left out issue a.*@error\.type:TypeError.*DD_API_URL/);
    expect(missingType?.message).not.toContain('\n');
    expect(observed(seenFirst(), { ...whole, filter: { states: ['RESOLVED'] } }, undefined, 'a')?.facet).toBe(
      'states',
    );
    expect(
      observed(seenFirst(), { ...whole, filter: { excludeServices: ['web'] } }, undefined, 'a')?.facet,
    ).toBe('service');
  });

  it('accepts a search that returned every issue it names that earlier searches saw in its hours', () => {
    const sightings = seenFirst();
    expect(
      observed(sightings, { ...whole, filter: { includeServices: ['api'] } }, undefined, 'a'),
    ).toBeUndefined();
    expect(observed(sightings, { ...whole, filter: { includeServices: ['db'] } })).toBeUndefined();
    expect(
      observed(sightings, { ...whole, filter: { states: ['OPEN'] } }, undefined, 'a', 'c'),
    ).toBeUndefined();
  });

  it('says which facets a search proved by returning an issue it was expected to', () => {
    const proven = (filter: SearchFilter, ...ids: string[]) => [
      ...seenFirst().observe(
        { ...whole, filter },
        undefined,
        response(...ids.map((id): [string, undefined] => [id, undefined])),
        attributesOf,
      ),
    ];
    expect(proven({ includeServices: ['api'], includeErrorTypes: ['TypeError'] }, 'a')).toEqual([
      'error_type',
    ]);
    expect(proven({ includeServices: ['web'], states: ['RESOLVED'] }, 'b')).toEqual(['states']);
    // Through a clause without error types, or with nothing expected of it, nothing is proven.
    expect(
      proven(
        { anyOf: [{ includeServices: ['web'] }, { includeServices: ['db'], includeErrorTypes: ['X'] }] },
        'b',
      ),
    ).toEqual([]);
    expect(proven({ includeServices: ['db'], includeErrorTypes: ['X'] })).toEqual([]);
  });

  it('expects nothing of a saturated search, or of hours that do not hold the sighting', () => {
    expect(
      observed(seenFirst(), { from: HOUR / 2, to: HOUR, filter: { includeServices: ['api'] } }),
    ).toBeUndefined();
    expect(
      observed(seenFirst(), { from: 0, to: HOUR / 4, filter: { includeServices: ['api'] } }),
    ).toBeUndefined();
    const sightings = seenFirst();
    expect(() =>
      sightings.observe(
        { ...whole, filter: { includeServices: ['web'] } },
        undefined,
        saturated(),
        attributesOf,
      ),
    ).not.toThrow();
  });

  it('expects an issue seen in one track of a search of that track or of every track only', () => {
    expect(
      observed(seenFirst('rum'), { ...whole, filter: { includeServices: ['api'] } }, 'trace'),
    ).toBeUndefined();
    expect(observed(seenFirst('rum'), { ...whole, filter: { includeServices: ['api'] } }, 'rum')?.facet).toBe(
      'service',
    );
    expect(observed(seenFirst('rum'), { ...whole, filter: { includeServices: ['api'] } })?.facet).toBe(
      'service',
    );
    expect(
      observed(seenFirst(), { ...whole, filter: { includeServices: ['api'] } }, 'trace'),
    ).toBeUndefined();
  });

  it('expects only what matches under any case rules, and an issue without a service of a remainder', () => {
    // An API may match services case-sensitively (so API is not api) or not (so web excludes WEB).
    expect(observed(seenFirst(), { ...whole, filter: { includeServices: ['API'] } })).toBeUndefined();
    expect(
      observed(seenFirst(), { ...whole, filter: { excludeServices: ['API', 'WEB'] } }, undefined)?.message,
    ).toMatch(/left out issue c/);
    expect(
      observed(seenFirst(), { ...whole, filter: { excludeServices: ['API', 'WEB'] } }, undefined, 'c'),
    ).toBeUndefined();
    expect(
      observed(seenFirst(), { ...whole, filter: { includeServices: ['api', 'web'] } }, undefined, 'a', 'b'),
    ).toBeUndefined();
  });

  it('cannot expect an issue whose object never arrived', () => {
    const sightings = new BucketSightings();
    sightings.observe({ ...firstHalf, filter: {} }, undefined, saturated('unknown'), attributesOf);
    expect(observed(sightings, { ...whole, filter: {} })).toBeUndefined();
  });
});

describe('suspectFacet', () => {
  const both: SearchFilter = { includeServices: ['api'], includeErrorTypes: ['TypeError'], states: ['OPEN'] };

  it('blames the facet no search has proved yet, error types before states', () => {
    expect(suspectFacet(both, new Set())).toBe('error_type');
    expect(suspectFacet(both, new Set(['error_type']))).toBe('states');
    expect(suspectFacet(both, new Set(['states']))).toBe('error_type');
    expect(suspectFacet(both, new Set(['error_type', 'states']))).toBe('error_type');
  });

  it('blames the service filter only when the search named nothing else', () => {
    expect(suspectFacet({ includeServices: ['api'], states: ['OPEN'] }, new Set(['states']))).toBe('states');
    expect(suspectFacet({ excludeServices: ['api'] }, new Set())).toBe('service');
  });
});

describe('shownInNoTrack', () => {
  /** Results of issues `a0`, `a1`, … erring as many times as given, loudest first. */
  const results = (prefix: string, ...errors: number[]): SearchResponseWire => ({
    data: errors.map((count, index) => ({
      id: `${prefix}${index}`,
      type: 'error_tracking_search_result',
      attributes: { total_count: count },
    })),
  });
  const shown = results('a', 9, 5, 3, 1).data;

  it('finds an issue the window showed that no track part returned', () => {
    const parts = [results('a', 9), { data: shown.slice(2, 4) }, results('b')];
    expect(shownInNoTrack(shown, parts)).toBe('a1');
    expect(shownInNoTrack(shown, [results('a', 9, 5), { data: shown.slice(2, 4) }])).toBeUndefined();
  });

  it('expects no issue as quiet as the quietest of a saturated part: that part may hide it', () => {
    const saturated = { data: Array.from({ length: 100 }, (_, index) => results(`s${index}-`, 3).data[0]!) };
    expect(shownInNoTrack(shown, [saturated, results('a', 9)])).toBe('a1');
    expect(shownInNoTrack(shown, [saturated, results('a', 9, 5)])).toBeUndefined();
  });
});
