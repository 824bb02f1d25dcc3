import { describe, expect, it } from 'vitest';
import {
  addOccurrences,
  generateOrg,
  NEW_TRACK,
  OrgOptionsError,
  type SimulatedOrg,
} from '../../lib/simulator/index';
import { lowerBound } from '../../lib/simulator/occurrences';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const TO = Date.UTC(2025, 0, 15);

function activeIssues(org: SimulatedOrg, from: number, to: number): number {
  let active = 0;
  for (const issue of org.issues) {
    const { timestamps } = issue.occurrences;
    const start = lowerBound(timestamps, from);
    if (start < timestamps.length && (timestamps[start] as number) < to) active++;
  }
  return active;
}

function fingerprint(org: SimulatedOrg): unknown {
  return org.issues.map((issue) => ({
    id: issue.id,
    service: issue.service,
    state: issue.state,
    count: issue.occurrences.timestamps.length,
    sum: issue.occurrences.timestamps.reduce((sum, value) => sum + value, 0),
    users: issue.occurrences.userIds.reduce((sum, value) => sum + value, 0),
    assignee: issue.assigneeId,
    caseId: issue.caseId,
    teams: issue.teamIds,
  }));
}

describe('generateOrg', () => {
  it('is deterministic from the seed', () => {
    const options = { seed: 42, issues: 150, distribution: 'bursty', oddServiceNames: true } as const;
    expect(fingerprint(generateOrg(options))).toEqual(fingerprint(generateOrg(options)));
    expect(fingerprint(generateOrg({ ...options, seed: 43 }))).not.toEqual(fingerprint(generateOrg(options)));
  });

  it('keeps occurrences sorted, inside the range, with lifetime first/last seen', () => {
    const org = generateOrg({ seed: 3, issues: 300, distribution: 'uniform', from: TO - 24 * HOUR, to: TO });
    expect(org.issues).toHaveLength(300);
    let firstSeenBeforeRange = 0;
    for (const issue of org.issues) {
      const { timestamps, userIds, sessionIds } = issue.occurrences;
      expect(timestamps.length).toBeGreaterThan(0);
      expect(userIds.length).toBe(timestamps.length);
      expect(sessionIds.length).toBe(timestamps.length);
      expect(
        timestamps.every((value, index) => index === 0 || value >= (timestamps[index - 1] as number)),
      ).toBe(true);
      expect(timestamps[0]).toBeGreaterThanOrEqual(org.from);
      expect(timestamps[timestamps.length - 1]).toBeLessThan(org.to);
      expect(Number.isInteger(timestamps[0])).toBe(true);
      expect(issue.firstSeen).toBeLessThanOrEqual(timestamps[0] as number);
      if (issue.firstSeen < org.from) firstSeenBeforeRange++;
      expect(issue.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const expectedPlatforms =
        issue.track === 'rum'
          ? ['BROWSER', 'ANDROID', 'IOS', 'FLUTTER', 'REACT_NATIVE', 'ROKU']
          : ['BACKEND'];
      expect(expectedPlatforms).toContain(issue.platform);
    }
    expect(firstSeenBeforeRange).toBeGreaterThan(30);
    expect(new Set(org.issues.map((issue) => issue.id)).size).toBe(300);
    expect(org.services).toHaveLength(8);
    expect(new Set(org.issues.map((issue) => issue.state))).toContain('OPEN');
  });

  it('makes a dense org really dense: >100 of 400 issues active in every minute', () => {
    const org = generateOrg({
      seed: 7,
      issues: 400,
      services: 8,
      distribution: 'dense',
      from: TO - 6 * HOUR,
      to: TO,
    });
    let quietest = Number.POSITIVE_INFINITY;
    for (let minute = org.from; minute < org.to; minute += MINUTE) {
      quietest = Math.min(quietest, activeIssues(org, minute, minute + MINUTE));
    }
    expect(quietest).toBeGreaterThan(100);
    expect(activeIssues(org, org.from, org.to)).toBe(400);
  });

  it('concentrates bursts: hundreds of issues inside a few minutes', () => {
    const org = generateOrg({ seed: 9, issues: 500, distribution: 'bursty', from: TO - 6 * HOUR, to: TO });
    let busiest = 0;
    let quietMinutes = 0;
    for (let minute = org.from; minute < org.to; minute += MINUTE) {
      const active = activeIssues(org, minute, minute + MINUTE);
      busiest = Math.max(busiest, active);
      if (active < 50) quietMinutes++;
    }
    expect(busiest).toBeGreaterThan(100);
    expect(quietMinutes).toBeGreaterThan(300);
  });

  it('puts >100 issues of one service at the same millisecond in collisions mode', () => {
    const org = generateOrg({
      seed: 5,
      issues: 400,
      distribution: 'collisions',
      from: TO - 6 * HOUR,
      to: TO,
    });
    const byInstant = new Map<string, number>();
    for (const issue of org.issues) {
      for (const timestamp of new Set(issue.occurrences.timestamps)) {
        const key = `${issue.service}|${timestamp}`;
        byInstant.set(key, (byInstant.get(key) ?? 0) + 1);
      }
    }
    expect(Math.max(...byInstant.values())).toBeGreaterThan(100);
    const crossService = new Map<number, Set<string | undefined>>();
    for (const issue of org.issues) {
      for (const timestamp of issue.occurrences.timestamps) {
        if (!crossService.has(timestamp)) crossService.set(timestamp, new Set());
        crossService.get(timestamp)?.add(issue.service);
      }
    }
    expect([...crossService.values()].some((services) => services.size >= 2)).toBe(true);
  });

  it('adds odd service names, an empty service and issues without a service', () => {
    const org = generateOrg({ seed: 11, issues: 200, oddServiceNames: true });
    const services = new Set(org.issues.map((issue) => issue.service));
    for (const name of [
      'payments/api',
      'a=b',
      '100%',
      'with space',
      '#hash',
      'ünïcödé',
      'ctrl\u0007char',
      '',
    ]) {
      expect(services).toContain(name);
    }
    expect(services).toContain(undefined);
  });

  it('flags unknown enums and missing included objects at the requested rates', () => {
    const org = generateOrg({ seed: 13, issues: 400, unknownEnumRate: 0.5, missingIncludedRate: 0.5 });
    const unknown = org.issues.filter((issue) => issue.extraAttributes !== undefined);
    expect(unknown.length).toBeGreaterThan(120);
    expect(unknown.length).toBeLessThan(280);
    expect(
      unknown.some(
        (issue) =>
          issue.state === 'SNOOZED' || issue.platform === 'SMART_TV' || issue.languages.includes('ZIG'),
      ),
    ).toBe(true);
    const omitted = [...org.users.values()].filter((user) => user.omitFromIncluded).length;
    expect(omitted).toBeGreaterThan(0);
    expect(
      org.danglingIds.users.length + org.danglingIds.teams.length + org.danglingIds.cases.length,
    ).toBeGreaterThan(0);
    const clean = generateOrg({ seed: 13, issues: 400 });
    expect(clean.issues.every((issue) => issue.extraAttributes === undefined)).toBe(true);
    expect([...clean.users.values()].every((user) => !user.omitFromIncluded)).toBe(true);
  });

  it('rejects impossible options with a clear error', () => {
    expect(() => generateOrg({ from: TO, to: TO })).toThrow(OrgOptionsError);
    expect(() => generateOrg({ issues: -1 })).toThrow(/issues must be/);
    expect(() => generateOrg({ unknownEnumRate: 2 })).toThrow(/unknownEnumRate/);
    expect(() => generateOrg({ newTrackRate: -0.1 })).toThrow(/newTrackRate/);
  });

  it('puts a share of issues in a track newer than trace, logs and rum, drawing everything else as before', () => {
    const before = generateOrg({ seed: 13, issues: 400 });
    const org = generateOrg({ seed: 13, issues: 400, newTrackRate: 0.1 });
    const moved = org.issues.filter((issue) => issue.track === NEW_TRACK);
    expect(moved.length).toBeGreaterThan(20);
    expect(moved.length).toBeLessThan(60);
    org.issues.forEach((issue, index) => {
      const { track: _track, ...rest } = issue;
      const { track: _trackBefore, ...restBefore } = before.issues[index]!;
      expect(rest).toEqual(restBefore);
    });
  });

  it('merges added occurrences and reopens a resolved issue', () => {
    const org = generateOrg({ seed: 17, issues: 20 });
    const issue = org.issues[0];
    if (!issue) throw new Error('no issue');
    issue.state = 'RESOLVED';
    issue.resolvedAt = org.to;
    const before = issue.occurrences.timestamps.length;
    addOccurrences(org, issue.id, [org.to + 10, org.from]);
    expect(issue.occurrences.timestamps.length).toBe(before + 2);
    expect(issue.occurrences.timestamps[0]).toBe(org.from);
    expect(issue.occurrences.timestamps[before + 1]).toBe(org.to + 10);
    expect(issue.state).toBe('OPEN');
    expect(issue.regression?.regressed_at).toBe(new Date(org.to + 10).toISOString());
  });
});
