import { describe, expect, it } from 'vitest';
import type { Track } from '../../lib/datadog/types';
import type { LeafWindow } from '../../lib/enumerate/enumerate';
import type { SearchFilter } from '../../lib/enumerate/query';
import { cellKey, observeServiceStates, STATE_GROUPS, stateGroupOf } from '../../lib/enumerate/state-plan';

const HOUR = 3_600_000;

interface Issue {
  readonly id: string;
  readonly service: string;
  readonly state: string;
}

function issues(service: string, count: number, state: string, offset = 0): Issue[] {
  return Array.from({ length: count }, (_, index) => ({
    id: `${service}-${offset + index}`,
    service,
    state,
  }));
}

function leaf(from: number, to: number, filter: SearchFilter, found: readonly Issue[]): LeafWindow {
  return {
    from,
    to,
    filter,
    results: found.map((issue) => ({
      id: issue.id,
      type: 'error_tracking_search_result',
      attributes: { total_count: 1 },
    })),
  };
}

function observe(leaves: readonly LeafWindow[], all: readonly Issue[]) {
  const byId = new Map(all.map((issue) => [issue.id, issue]));
  return observeServiceStates(
    leaves,
    HOUR,
    (id) => byId.get(id)?.service,
    (id) => byId.get(id)?.state,
  );
}

describe('state groups', () => {
  it('put open issues apart from every other documented state, and no group takes an undocumented state', () => {
    expect(STATE_GROUPS).toEqual([['OPEN'], ['ACKNOWLEDGED', 'RESOLVED', 'IGNORED', 'EXCLUDED']]);
    expect(stateGroupOf('OPEN')).toBe(0);
    expect(stateGroupOf('IGNORED')).toBe(1);
    expect(stateGroupOf('SNOOZED')).toBeUndefined();
    expect(stateGroupOf(undefined)).toBeUndefined();
  });
});

describe("observing a bucket's services by track and state", () => {
  it('counts distinct issues by state group, in every state, and whether a search of the service was divided by state', () => {
    const open = issues('checkout', 120, 'OPEN');
    const resolved = issues('checkout', 30, 'RESOLVED', 500);
    const snoozed = issues('checkout', 2, 'SNOOZED', 900);
    const other = issues('search', 10, 'OPEN');
    const observed = observe(
      [
        // The open issues err all hour: both halves find all of them.
        leaf(0, HOUR / 2, { includeServices: ['checkout'], states: ['OPEN'] }, open.slice(0, 99)),
        leaf(HOUR / 2, HOUR, { includeServices: ['checkout'], states: ['OPEN'] }, open.slice(21)),
        leaf(0, HOUR, { includeServices: ['checkout'], states: [...STATE_GROUPS[1]!] }, resolved),
        leaf(0, HOUR, { excludeServices: ['checkout'] }, [...other, ...snoozed]),
      ],
      [...open, ...resolved, ...snoozed, ...other],
    );
    const checkout = observed.get('checkout')!;
    expect(checkout.issues.get('')).toEqual([120, 30]);
    expect(checkout.allIssues).toBe(152);
    expect(checkout.dividedByState).toBe(true);
    expect(checkout.tracked).toBe(false);
    // 99 + 99 of 120 found in halves: the rate that fits 120 × (1 − e^(−r/2)) = 99.
    expect(120 * (1 - Math.exp(-checkout.errorRates.get(cellKey('', 0))! / 2))).toBeCloseTo(99, 3);
    expect(checkout.timeWindowSearches.get(cellKey('', 0))).toBe(2);
    // Windows divided by state say nothing of the service in every state, nor of the other group.
    expect(checkout.errorRates.has(cellKey(''))).toBe(false);
    expect(checkout.errorRates.has(cellKey('', 1))).toBe(false);
    expect(observed.get('search')).toMatchObject({ issues: new Map([['', [10, 0]]]), dividedByState: false });
  });

  it('measures each service of a time window that several shared', () => {
    const api = issues('api', 60, 'OPEN');
    const web = issues('web', 40, 'OPEN');
    // Each half found every api issue (erring throughout) and its own half of the web issues.
    const observed = observe(
      [
        leaf(0, HOUR / 2, { includeServices: ['api', 'web'] }, [...api, ...web.slice(0, 20)]),
        leaf(HOUR / 2, HOUR, { includeServices: ['api', 'web'] }, [...api, ...web.slice(20)]),
      ],
      [...api, ...web],
    );
    expect(observed.get('api')?.errorRates.get(cellKey(''))).toBeGreaterThan(20);
    expect(observed.get('web')?.errorRates.get(cellKey(''))).toBeLessThan(2);
    expect(observed.get('web')?.timeWindowSearches.get(cellKey(''))).toBe(2);
  });

  it('keeps a service to tracks only when its issues were found in more than one', () => {
    const trace = issues('api', 50, 'OPEN');
    const logs = issues('api', 20, 'ACKNOWLEDGED', 100);
    const mobile = issues('app', 60, 'OPEN');
    const byTrack = (track: Track, service: string, found: readonly Issue[]) =>
      leaf(0, HOUR, { includeServices: [service], track }, found);
    const observed = observe(
      [
        byTrack('trace', 'api', trace),
        byTrack('logs', 'api', logs),
        byTrack('rum', 'api', []),
        byTrack('trace', 'app', []),
        byTrack('logs', 'app', []),
        byTrack('rum', 'app', mobile),
      ],
      [...trace, ...logs, ...mobile],
    );
    expect(observed.get('api')).toMatchObject({
      tracked: true,
      issues: new Map([
        ['trace', [50, 0]],
        ['logs', [0, 20]],
      ]),
    });
    // Found in one track only: searched in every track at once, with no empty searches of the others.
    expect(observed.get('app')?.tracked).toBe(false);
  });

  it('fits the error rate of a service searched in time windows, its windows of one range added up across tracks', () => {
    // 60 issues per quarter, none in two quarters: about one error per issue an hour.
    const all = issues('busy', 240, 'OPEN');
    const quarter = (index: number, track?: Track) =>
      leaf(
        (index * HOUR) / 4,
        ((index + 1) * HOUR) / 4,
        { includeServices: ['busy'], ...(track ? { track } : {}) },
        all.slice(index * 60 + (track === 'logs' ? 30 : 0), index * 60 + (track === 'trace' ? 30 : 60)),
      );
    const observed = observe(
      [0, 1, 2, 3].flatMap((index) => [quarter(index, 'trace'), quarter(index, 'logs')]),
      all,
    ).get('busy')!;
    expect(observed.tracked).toBe(true);
    const rate = observed.errorRates.get(cellKey(''))!;
    expect(240 * (1 - Math.exp(-rate / 4))).toBeCloseTo(60, 3);
    expect(observed.errorRates.get(cellKey('trace'))).toBeDefined();
  });
});
