import { describe, expect, it } from 'vitest';
import type { ErrorTypeObservation } from '../../lib/enumerate/error-type-plan';
import { IssueActivity, type IssueFacts } from '../../lib/enumerate/issue-activity';

const HOUR = 3_600_000;
const bucket = (index: number) => ({ start: index * HOUR, end: (index + 1) * HOUR });
const noObservation: ErrorTypeObservation = { services: new Map(), withoutService: 0, totalIssues: 0 };

function facts(
  service: string | undefined,
  errorType: string | undefined,
  firstSeen: number,
  lastSeen: number,
): IssueFacts {
  return { service, errorType, state: undefined, firstSeen, lastSeen };
}

describe('predicting a bucket issue by issue', () => {
  const known = new Map<string, IssueFacts>([
    // Errs from before the run until well after the buckets predicted.
    ['steady', facts('a', 'T', -HOUR, 5 * HOUR)],
    // Its last error was in the first bucket: it errs in no later one.
    ['stopped', facts('a', 'T', -HOUR, 0.5 * HOUR)],
    // Its last error falls inside the third bucket, so it certainly errs there.
    ['ending', facts('b', undefined, -HOUR, 2.5 * HOUR)],
    // New in the second bucket, and still erring after the third.
    ['arrived', facts('c', 'U', 1.5 * HOUR, 10 * HOUR)],
    ['no-service', facts(undefined, 'T', -HOUR, 10 * HOUR)],
  ]);
  const factsOf = (issueId: string) => known.get(issueId)!;

  it('knows nothing until two buckets show how issues persist and arrive', () => {
    const activity = new IssueActivity();
    activity.record(bucket(0), ['steady', 'stopped', 'ending'], factsOf);
    expect(activity.predict(bucket(1), noObservation)).toBeUndefined();
  });

  it('counts certain errors once, stopped issues never, and the rest at the persistence the run measured', () => {
    const activity = new IssueActivity();
    activity.record(bucket(0), ['steady', 'stopped', 'ending'], factsOf);
    activity.record(bucket(1), ['steady', 'ending', 'arrived', 'no-service'], factsOf);
    // Both issues that could have erred in the second bucket without certainty did: (2 + 0.9 × 20) / (2 + 20).
    const afterActive = 20 / 22;
    const predicted = activity.predict(bucket(2), noObservation)!;
    expect(predicted.services.get('a')).toEqual({
      total: afterActive,
      byType: new Map([['T', afterActive]]),
      untyped: 0,
    });
    expect(predicted.services.get('b')).toEqual({ total: 1, byType: new Map(), untyped: 1 });
    // An issue seen once more, plus the arrivals of the second bucket: this one and the one without a service.
    expect(predicted.services.get('c')?.total).toBeCloseTo(afterActive + 1);
    expect(predicted.withoutService).toBeCloseTo(afterActive + 1);
    expect(predicted.totalIssues).toBeCloseTo(3 * afterActive + 3);
  });

  it('measures how often quiet and erring issues err again, and keeps the new-type share it is given', () => {
    const activity = new IssueActivity();
    const ids = Array.from({ length: 50 }, (_, index) => `issue-${index}`);
    const through = () => facts('a', 'T', -HOUR, 100 * HOUR);
    activity.record(bucket(0), ids, through);
    activity.record(bucket(1), ids.slice(0, 10), through);
    const base: ErrorTypeObservation = {
      services: new Map([['a', { total: 10, byType: new Map(), untyped: 0, newTypes: 2 }]]),
      withoutService: 0,
      totalIssues: 10,
    };
    const predicted = activity.predict(bucket(2), base)!;
    // 10 of 50 erred again: (10 + 18) / (50 + 20) = 0.4; nothing measured yet for quiet issues: the prior 0.5.
    expect(predicted.totalIssues).toBeCloseTo(10 * 0.4 + 40 * 0.5);
    expect(predicted.services.get('a')?.newTypes).toBe(2);
  });

  it('ignores a bucket older than the latest recorded', () => {
    const activity = new IssueActivity();
    activity.record(bucket(0), ['steady'], factsOf);
    activity.record(bucket(1), ['steady', 'arrived'], factsOf);
    activity.record(bucket(0), ['no-service'], factsOf);
    expect(activity.predict(bucket(2), noObservation)?.withoutService).toBe(0);
  });

  it('does not trust a lifetime that contradicts the bucket the issue erred in', () => {
    const start = Date.UTC(2025, 0, 15);
    const at = (index: number) => ({ start: start + index * HOUR, end: start + (index + 1) * HOUR });
    const activity = new IssueActivity();
    // Seconds instead of milliseconds: every issue would seem to have stopped erring in 1970.
    const inSeconds = () => facts('a', 'T', start / 1000 - 3_600, start / 1000 + 5 * 3_600);
    activity.record(at(0), ['one', 'two'], inSeconds);
    activity.record(at(1), ['one', 'two'], inSeconds);
    // Both still count, at the persistence measured: (2 + 18) / (2 + 20) each.
    expect(activity.predict(at(2), noObservation)?.totalIssues).toBeCloseTo((2 * 20) / 22);
  });
});
