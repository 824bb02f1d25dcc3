import { describe, expect, it } from 'vitest';
import {
  validateIssueResponse,
  validateSearchResponse,
  validateSingleResource,
} from '../../lib/datadog/validate';

describe('validateSearchResponse', () => {
  it('accepts a response with unknown fields, enum values and included types', () => {
    const body = {
      data: [
        {
          id: 'a',
          type: 'error_tracking_search_result',
          attributes: { total_count: 3, impacted_users: 1, brand_new_count: 'x' },
          relationships: { issue: { data: { id: 'a', type: 'issue' } } },
        },
      ],
      included: [
        { id: 'a', type: 'issue', attributes: { state: 'SNOOZED', platform: 'QUANTUM' } },
        { id: 'x', type: 'hologram', attributes: { anything: [1, 2] } },
      ],
      meta: { unknown: true },
    };
    const validation = validateSearchResponse(body);
    expect(validation.ok).toBe(true);
  });

  it('normalizes absent attributes, null counts and numeric strings', () => {
    const validation = validateSearchResponse({
      data: [
        { id: 'a', type: 'r' },
        { id: 'b', attributes: { total_count: '12', impacted_users: null } },
      ],
      included: null,
    });
    expect(validation).toEqual({
      ok: true,
      value: {
        data: [
          { id: 'a', type: 'r', attributes: {} },
          { id: 'b', type: 'error_tracking_search_result', attributes: { total_count: 12 } },
        ],
      },
    });
  });

  it("identifies a result by its issue's id when the result's own id differs", () => {
    const issue = { data: { id: 'issue-1', type: 'issue' } };
    const validation = validateSearchResponse({
      data: [{ id: 'result-1', attributes: { total_count: 3 }, relationships: { issue } }],
    });
    expect(validation.ok && validation.value.data[0]?.id).toBe('issue-1');
  });

  it('accepts an empty result', () => {
    expect(validateSearchResponse({ data: [] })).toEqual({ ok: true, value: { data: [] } });
  });

  it.each([
    [null, 'the body is not a JSON object'],
    [[], 'the body is not a JSON object'],
    [{}, 'data is not an array'],
    [{ data: {} }, 'data is not an array'],
    [{ data: ['a'] }, 'data[0] is not an object'],
    [{ data: [{ id: 'a' }, { id: 7 }] }, 'data[1].id is not a non-empty string'],
    [{ data: [{ id: 'a', attributes: [] }] }, 'data[0].attributes is not an object'],
    [
      { data: [{ id: 'a', attributes: { total_count: 'many' } }] },
      'data[0].attributes.total_count is not a number',
    ],
    [{ data: [], included: {} }, 'included is not an array'],
    [{ data: [], included: [{ id: 'u' }] }, 'included[0].type is not a string'],
    [
      {
        data: [],
        included: [{ id: 'i', type: 'issue', relationships: { team_owners: { data: [{ type: 'team' }] } } }],
      },
      'included[0].relationships.team_owners.data has an entry without a string id',
    ],
  ])('rejects %j: %s', (body, problem) => {
    expect(validateSearchResponse(body)).toEqual({ ok: false, problem });
  });
});

describe('validateIssueResponse', () => {
  it('accepts an issue with included resources and null relationships', () => {
    const body = {
      data: {
        id: 'c1726a66-1f64-11ee-b338-da7ad0900002',
        type: 'issue',
        attributes: { state: 'OPEN' },
        relationships: { assignee: { data: null }, team_owners: { data: [] } },
      },
      included: [],
    };
    expect(validateIssueResponse(body)).toEqual({ ok: true, value: body });
  });

  it('rejects a missing data object', () => {
    expect(validateIssueResponse({ data: [] })).toEqual({ ok: false, problem: 'data is not an object' });
  });
});

describe('validateSingleResource', () => {
  it('returns the resource itself', () => {
    expect(
      validateSingleResource({ data: { id: 'u1', type: 'users', attributes: { name: '' } } }, 'users'),
    ).toEqual({ ok: true, value: { id: 'u1', type: 'users', attributes: { name: '' } } });
  });

  it('rejects a resource without an id', () => {
    expect(validateSingleResource({ data: { type: 'team' } }, 'team')).toEqual({
      ok: false,
      problem: 'data.id is not a non-empty string',
    });
  });
});
