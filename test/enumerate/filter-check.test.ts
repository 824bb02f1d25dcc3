import { describe, expect, it } from 'vitest';
import type { IssueAttributesWire, SearchResponseWire } from '../../lib/datadog/types';
import { checkResultsMatchFilter, SearchFacetIgnoredError } from '../../lib/enumerate/filter-check';
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

function failure(filter: SearchFilter, body: SearchResponseWire): SearchFacetIgnoredError | undefined {
  try {
    checkResultsMatchFilter(filter, body);
    return undefined;
  } catch (error) {
    if (error instanceof SearchFacetIgnoredError) return error;
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
    expect(failure(packed, response(['a', { service: 'db', error_type: 'KeyError' }]))?.facet).toBe(
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
