import { describe, expect, it } from 'vitest';
import { sampleOf, scaleSample, splitSample } from '../../lib/enumerate/error-type-plan';

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
