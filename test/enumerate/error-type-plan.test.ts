import { describe, expect, it } from 'vitest';
import { planByErrorType, sampleOf, scaleSample, splitSample } from '../../lib/enumerate/error-type-plan';
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
});

describe('keeping queries short in a big org', () => {
  it('names at most 100 services and 50 error types of a service; the remainders find the rest', () => {
    const manyServices = Array.from(
      { length: 150 },
      (_, index) => `service-${String(index).padStart(3, '0')}`,
    );
    const busyTypes = new Map(Array.from({ length: 80 }, (_, index) => [`Type${index}`, 2] as const));
    const observation = {
      services: new Map([
        ['busy', { total: 160, byType: busyTypes, untyped: 0 }],
        ...manyServices.map(
          (service, index) =>
            [service, { total: 150 - index, byType: new Map(), untyped: 150 - index }] as const,
        ),
      ]),
      withoutService: 0,
      totalIssues: 160 + 150 * 75,
    };
    const plan = planByErrorType(observation, { start: 0, end: 3_600_000 });
    const all = plan.pieces.map((_, piece) => plan.windowOf([piece]));
    const clauses = all.flatMap((window) => window.filter.anyOf ?? [window.filter]);
    for (const clause of clauses) {
      expect((clause.excludeServices ?? []).length).toBeLessThanOrEqual(100);
      expect((clause.excludeErrorTypes ?? []).length).toBeLessThanOrEqual(50);
    }
    // The quietest service and the rarest type of the busy service are each found exactly once.
    for (const [service, errorType] of [
      ['service-149', 'X'],
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
