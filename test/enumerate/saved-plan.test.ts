import { describe, expect, it } from 'vitest';
import { ServiceDensityModel } from '../../lib/enumerate/density';
import type { CheckedFacet } from '../../lib/enumerate/filter-check';
import { loadSavedPlans, parseSavedPlan, savedPlanKey } from '../../lib/enumerate/saved-plan';
import type { ObjectSink } from '../../lib/warehouse/sink';

const HOUR = 3_600_000;
const valid = {
  format: 1,
  scope: 'persona:ALL',
  bucket_start: '2025-01-14T23:00:00.000Z',
  bucket_ms: HOUR,
  total_issues: 12,
  without_service: 2,
  services: { api: { total: 10, untyped: 1, by_type: { TypeError: 6, RangeError: 3 } } },
};

describe('saved plans', () => {
  it('reads back the counts by service and error type', () => {
    const observation = parseSavedPlan(JSON.stringify(valid), HOUR);
    expect(observation?.totalIssues).toBe(12);
    expect(observation?.withoutService).toBe(2);
    expect(observation?.services.get('api')).toEqual({
      total: 10,
      untyped: 1,
      byType: new Map([
        ['TypeError', 6],
        ['RangeError', 3],
      ]),
    });
  });

  it('reads back how often the issues of error types searched in time windows err', () => {
    const withRates = {
      ...valid,
      services: { api: { ...valid.services.api, error_rates: { TypeError: 1.4 } } },
    };
    expect(parseSavedPlan(JSON.stringify(withRates), HOUR)?.services.get('api')?.errorRates).toEqual(
      new Map([['TypeError', 1.4]]),
    );
  });

  it.each([
    ['not JSON', '{'],
    [
      'an error rate that is not a number',
      JSON.stringify({ ...valid, services: { api: { ...valid.services.api, error_rates: { X: 'often' } } } }),
    ],
    ['another format', JSON.stringify({ ...valid, format: 2 })],
    ['another bucket size', JSON.stringify({ ...valid, bucket_ms: HOUR / 4 })],
    ['a negative count', JSON.stringify({ ...valid, total_issues: -1 })],
    [
      'a count that is not a number',
      JSON.stringify({ ...valid, services: { api: { total: 1, untyped: 0, by_type: { X: '3' } } } }),
    ],
    ['no services', JSON.stringify({ ...valid, services: null })],
  ])('ignores %s', (_, text) => {
    expect(parseSavedPlan(text, HOUR)).toBeUndefined();
  });

  it('proves error types for the next run only when the run that saved the plan proved them', async () => {
    const scope = { query: '*', persona: 'ALL' as const };
    const sinkHolding = (file: object): ObjectSink => ({
      root: 'memory',
      put: async () => {},
      get: async (key) =>
        key === savedPlanKey('id', scope) ? new TextEncoder().encode(JSON.stringify(file)) : null,
      list: async () => [],
      delete: async () => {},
    });
    const provenAfterLoading = async (file: object) => {
      const proven = new Set<CheckedFacet>();
      const loaded = await loadSavedPlans(
        sinkHolding(file),
        'id',
        [scope],
        HOUR,
        new ServiceDensityModel(),
        proven,
      );
      return { loaded, proven: [...proven] };
    };
    expect(await provenAfterLoading({ ...valid, error_types_proven: true })).toEqual({
      loaded: 1,
      proven: ['error_type'],
    });
    expect(await provenAfterLoading(valid)).toEqual({ loaded: 1, proven: [] });
    expect(await provenAfterLoading({ ...valid, format: 2, error_types_proven: true })).toEqual({
      loaded: 0,
      proven: [],
    });
  });

  it('keeps one plan per scope of a query', () => {
    expect(savedPlanKey('abc123', { query: '*', persona: 'ALL' })).toBe('_plans/abc123/persona=ALL.json');
    expect(savedPlanKey('abc123', { query: '*', track: 'rum' })).toBe('_plans/abc123/track=rum.json');
  });
});
