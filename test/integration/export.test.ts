import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SearchFacetMisappliedError } from '../../lib/enumerate/filter-check';
import type { SimulatedIssue } from '../../lib/simulator/model';
import { SearchEngine } from '../../lib/simulator/search';
import { runQuery } from '../../lib/warehouse/duckdb';
import { HIVE_DEFAULT_PARTITION, unescapePartitionValue } from '../../lib/warehouse/layout';
import { type Harness, HOUR, startHarness } from '../support/harness';

let harness: Harness | undefined;

/** For tests of how windows are divided: an export that never pages a saturated window by issue id. */
const DIVIDING = { issuePages: false } as const;

type SimulatorOptionsForTest = Parameters<typeof startHarness>[1];
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function query(sql: string) {
  const warehouse = await harness!.warehouse();
  return (await runQuery(warehouse.connection, sql)).rows;
}

function expectExact(comparison: Awaited<ReturnType<Harness['verify']>>) {
  expect(comparison.expected).toBeGreaterThan(0);
  expect(comparison.missing).toEqual([]);
  expect(comparison.wrongTotals).toEqual([]);
  expect(comparison.unexpected).toEqual([]);
  expect(comparison.duplicateRows).toBe(0);
  expect(comparison.matched).toBe(comparison.expected);
}

async function listFiles(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** Drops an issue's errors before `from`, so that it is first seen then. */
function errOnlyFrom(issue: SimulatedIssue, from: number): void {
  const kept = Array.from(issue.occurrences.timestamps).filter((time) => time >= from);
  issue.occurrences = {
    timestamps: Float64Array.from(kept),
    userIds: issue.occurrences.userIds.slice(0, kept.length),
    sessionIds: issue.occurrences.sessionIds.slice(0, kept.length),
  };
  issue.firstSeen = kept[0]!;
}

/** 400 issues on an API without the error-type facet, 5 % of them in a track newer than trace, logs and rum. */
function orgWithNewTrack(distribution: 'bursty' | 'dense', services: number, hours: number) {
  const to = Date.UTC(2025, 0, 15);
  return startHarness(
    { distribution, issues: 400, services, seed: 7, newTrackRate: 0.05, from: to - hours * HOUR, to },
    { refusedQueryFields: ['error.type'] },
  );
}

describe('exporting a sparse org', () => {
  it('matches ground truth, and an identical re-run overwrites the same files without duplicates', async () => {
    harness = await startHarness({ distribution: 'uniform', issues: 300, services: 8, seed: 11 });
    const first = await harness.export();
    expect(first.status).toBe('complete');
    expect(first.splits_not_used).toEqual([]);
    expectExact(await harness.verify());

    const [counts] = await query('SELECT count(*) AS rows, count(DISTINCT run_id) AS runs FROM issues');
    expect(counts).toEqual({ rows: first.rows, runs: 1 });
    expect(first.searches).toBe(harness.simulator.stats.searches);
    expect(first.buckets).toMatchObject({
      total: 6,
      exported: 6,
      complete: 6,
      incomplete: 0,
      not_started: 0,
    });
    expect(first.files.reduce((sum, file) => sum + file.rows, 0)).toBe(first.rows);

    const issueFiles = (await listFiles(join(harness.outDir, 'issues'))).filter((file) =>
      file.endsWith('.parquet'),
    );
    expect(issueFiles.map((file) => file.slice(harness!.outDir.length + 1))).toEqual(
      first.files.map((file) => file.key),
    );

    const second = await harness.export();
    const issueFilesAfter = (await listFiles(join(harness.outDir, 'issues'))).filter((file) =>
      file.endsWith('.parquet'),
    );
    expect(issueFilesAfter).toEqual(issueFiles);
    expectExact(await harness.verify());
    const runs = await query('SELECT DISTINCT run_id FROM issues');
    expect(runs).toEqual([{ run_id: second.run_id }]);
    const manifests = await readdir(join(harness.outDir, '_runs'));
    expect(manifests.sort()).toEqual([`${first.run_id}.json`, `${second.run_id}.json`].sort());
  });

  it('widens a range that cuts through buckets to whole buckets', async () => {
    harness = await startHarness({ distribution: 'uniform', issues: 200, services: 4, seed: 5 });
    const { from } = harness.simulator.org;
    const manifest = await harness.export({ from: from + HOUR + 17 * 60_000, to: from + 2 * HOUR + 1 });
    expect(manifest.range.from).toBe(new Date(from + HOUR).toISOString());
    expect(manifest.range.to).toBe(new Date(from + 3 * HOUR).toISOString());
    expectExact(await harness.verify({ from: from + HOUR, to: from + 3 * HOUR }));
  });
});

describe('planning the first bucket from its own first search', () => {
  it('counts the services the first search showed least, then plans the others at that scale', async () => {
    harness = await startHarness({ distribution: 'bursty', issues: 2000, services: 12, seed: 7 });
    const { from } = harness.simulator.org;
    const manifest = await harness.export({ ...DIVIDING, from, to: from + HOUR });
    expectExact(await harness.verify({ from, to: from + HOUR }));
    const [first, second, ...planned] = harness.simulator.stats.searchLog;
    expect(first?.query).toBe('*');
    // The least seen services and every service not seen at all: `-service:(the services seen most)`.
    expect(second?.query).toMatch(/^-service:\(/);
    expect(planned.some((search) => search.query.includes('@error.type'))).toBe(true);
    expect(manifest.searches).toBeLessThan(25);
  });
});

describe('an org of as many services as issues', () => {
  it('searches the services that hold an issue or two by the hundred, not forty at a time', async () => {
    harness = await startHarness({ distribution: 'uniform', issues: 300, services: 300, seed: 7 });
    const manifest = await harness.export();
    const comparison = await harness.verify();
    expectExact(comparison);
    // 23 searches when a query named at most 40 services and one search could hold the growth estimate
    // near 4 after the rest of the bucket found a third of its plan.
    expect(manifest.searches).toBeLessThanOrEqual(2.5 * Math.ceil(comparison.expected / 100));
  });
});

describe('paging a saturated window by issue id', () => {
  const to = Date.UTC(2025, 0, 15);

  it.each(['uniform', 'bursty'] as const)(
    'exports a %s org of 400 issues exactly in as few searches as any exporter at this grain can',
    async (distribution) => {
      harness = await startHarness({
        distribution,
        issues: 400,
        services: 8,
        seed: 7,
        from: to - 6 * HOUR,
        to,
      });
      const manifest = await harness.export();
      expect(manifest.status).toBe('complete');
      expectExact(await harness.verify());
      expect(manifest.splits.page).toBeGreaterThan(0);
      // Σ over buckets of ceil((issues + 1) / 100): a bucket's searches return at most 100 issues each.
      const perBucketBound = [...Array(6).keys()]
        .map(
          (hour) =>
            harness!.simulator.groundTruth({
              from: to - (6 - hour) * HOUR,
              to: to - (5 - hour) * HOUR,
              bucketMs: HOUR,
            }).length,
        )
        .reduce((sum, issues) => sum + Math.ceil((issues + 1) / 100), 0);
      expect(manifest.searches).toBeLessThanOrEqual(perBucketBound + 1);
      const pages = harness.simulator.stats.searchLog.filter((search) =>
        search.query.includes('-@issue.id:'),
      );
      expect(pages.length).toBe(manifest.splits.page);
      // Every issue of a bucket is one row with the bucket's own distinct counts, however many pages.
      const [inexact] = await query('SELECT count(*) AS rows FROM issues WHERE NOT impacted_counts_exact');
      expect(inexact).toEqual({ rows: 0 });
      const again = await harness.export();
      const [counts] = await query('SELECT count(*) AS rows, count(DISTINCT run_id) AS runs FROM issues');
      expect(counts).toEqual({ rows: again.rows, runs: 1 });
    },
  );

  it('finds every issue of a millisecond too busy for any facet', async () => {
    harness = await startHarness({ distribution: 'collisions', issues: 400, services: 1, seed: 3 });
    const manifest = await harness.export();
    expect(manifest.status).toBe('complete');
    expectExact(await harness.verify());
  });

  it.each([
    ['refuses', { refusedQueryFields: ['issue.id'] }],
    ['ignores', { ignoredQueryFields: { 'issue.id': 'dropped' } }],
    ['matches nothing, negated or not, with', { ignoredQueryFields: { 'issue.id': 'strict' } }],
    ['refuses with a 500', { refusedQueryFields: ['issue.id'], refusalStatus: 500 }],
  ] as const)(
    'stays exact when the API %s the issue id term, at most a page or two dearer',
    async (_, api) => {
      const org = {
        distribution: 'bursty',
        issues: 400,
        services: 8,
        seed: 7,
        from: to - 4 * HOUR,
        to,
      } as const;
      harness = await startHarness(org, api as SimulatorOptionsForTest);
      const manifest = await harness.export();
      expect(manifest.status).toBe('complete');
      expectExact(await harness.verify());
      expect(manifest.splits.page).toBe(0);
      await harness.close();
      harness = await startHarness(org);
      const dividing = await harness.export(DIVIDING);
      expect(manifest.searches).toBeLessThanOrEqual(dividing.searches + 2);
    },
  );
});

describe('an API that limits the length of a query', () => {
  /** Exports 2 hours of a uniform org against the limit, expecting it complete, exact and refused at times. */
  const expectExactWithin = async (maxQueryLength: number, issues: number, services: number) => {
    const to = Date.UTC(2025, 0, 15);
    harness = await startHarness(
      { distribution: 'uniform', issues, services, seed: 7, from: to - 2 * HOUR, to },
      { maxQueryLength },
    );
    const manifest = await harness.export();
    expect(manifest.status).toBe('complete');
    expectExact(await harness.verify());
    const { stats } = harness.simulator;
    expect(stats.byStatus['400']).toBeGreaterThan(0);
    expect(Math.max(...stats.searchLog.map((search) => search.query.length))).toBeLessThanOrEqual(
      maxQueryLength,
    );
  };

  it('starts a bucket over with remainders excluding fewer services when one is refused, and stays exact', async () => {
    // 450 services: a remainder excludes more than 220 of them, over 4,000 characters.
    await expectExactWithin(4_000, 700, 450);
  });

  it('searches a refused list of services as halves, and remainders of a few services, and stays exact', async () => {
    // 300 services against 1,500 characters: plans name up to 200 services (about 3,600 characters) and
    // discovery's remainders exclude up to 170; before, the export failed with the API's 400.
    await expectExactWithin(1_500, 3_000, 300);
  });
});

describe('an API that implements no more than the reference shows', () => {
  const to = Date.UTC(2025, 0, 15);
  /** Services-only queries, ranked by count alone, with the track attribute refused or ignored. */
  const minimal = (trackAttribute: 'refused' | 'ignored') =>
    ({
      queryForms: 'services-only',
      rankings: 'count-only',
      trackAttribute,
      statesAttribute: 'refused',
    }) as const;

  it.each([
    ['uniform', 'refused'],
    ['bursty', 'ignored'],
    ['dense', 'refused'],
    ['dense', 'ignored'],
  ] as const)('exports a %s org exactly, the track attribute %s', async (distribution, trackAttribute) => {
    harness = await startHarness(
      { distribution, issues: 400, services: 8, seed: 7, from: to - 3 * HOUR, to },
      minimal(trackAttribute),
    );
    const manifest = await harness.export();
    expect(manifest.status).toBe('complete');
    expectExact(await harness.verify());
    const { stats } = harness.simulator;
    // Every query it answered was one of the three service forms.
    for (const search of stats.searchLog)
      expect(search.query).toMatch(/^(\*|-?service:[^()]+|-?service:\(.*\))$/);
    if (distribution === 'uniform') {
      // A plan by service alone needs nothing the API lacks but pages: the first one refused, and given up.
      expect(stats.byStatus['400']).toBe(1);
      expect(manifest.splits_not_used).toEqual(['page']);
    } else {
      expect(manifest.splits_not_used).toContain('error_type');
    }
    if (distribution === 'dense') {
      // Tracks, states and other rankings refused or unusable: services and time are all that is left.
      expect(manifest.splits_not_used).toEqual(expect.arrayContaining(['states', 'track']));
      expect(manifest.splits.track).toBe(0);
    }
  });

  it('takes a server error on every retry of a search naming what the API lacks for a refusal', async () => {
    harness = await startHarness(
      { distribution: 'bursty', issues: 400, services: 8, seed: 7, from: to - 3 * HOUR, to },
      { ...minimal('refused'), refusalStatus: 500 },
    );
    const manifest = await harness.export();
    expect(manifest.status).toBe('complete');
    expectExact(await harness.verify());
    expect(manifest.splits_not_used).toContain('error_type');
    expect(harness.simulator.stats.byStatus['500']).toBeGreaterThan(0);
    expect(harness.simulator.stats.byStatus['400']).toBeUndefined();
  });

  it('gives up error types and then states in one bucket without planning error types again', async () => {
    // The bucket with 150 issues erring in one millisecond of one service: error types are refused, then
    // the probe ranked by first seen, and the plan made without states had named error types again.
    harness = await startHarness(
      { distribution: 'collisions', issues: 400, services: 4, seed: 17, from: to - 5 * HOUR, to },
      { queryForms: 'services-only', rankings: 'count-only', statesAttribute: 'ignored' },
    );
    const manifest = await harness.export();
    expect(manifest.status).toBe('incomplete');
    expect(manifest.splits_not_used).toEqual(expect.arrayContaining(['error_type', 'states']));
    const incomplete = new Set(manifest.incomplete_windows.map((window) => Date.parse(window.bucket_start)));
    expect(incomplete.size).toBe(1);
    const comparison = await harness.verify();
    const wrong = [...comparison.missing, ...comparison.wrongTotals].filter(
      (entry) => !incomplete.has(entry.bucketStart),
    );
    expect(wrong).toEqual([]);
    expect(comparison.unexpected).toEqual([]);
  });

  it('stops dividing by track and state, which only other rankings check, when the API ranks by count alone', async () => {
    harness = await startHarness(
      { distribution: 'dense', issues: 400, services: 8, seed: 7, from: to - 2 * HOUR, to },
      { rankings: 'count-only', refusedQueryFields: ['error.type'] },
    );
    const manifest = await harness.export(DIVIDING);
    expect(manifest.status).toBe('complete');
    expectExact(await harness.verify());
    expect(manifest.splits_not_used).toEqual(expect.arrayContaining(['error_type', 'states', 'track']));
    // The other rankings were asked for, refused, and the divisions they check given up.
    expect(harness.simulator.stats.byStatus['400']).toBeGreaterThan(0);
  });
});

describe('carrying the plan from one run to the next', () => {
  it('plans the first bucket of a run from what the previous run saved, and stays exact', async () => {
    harness = await startHarness({ distribution: 'dense', issues: 400, services: 8, seed: 13 });
    const { from, to } = harness.simulator.org;
    const middle = from + 3 * HOUR;
    const first = await harness.export({ from, to: middle });
    const second = await harness.export({ from: middle, to });
    expect([first.plans_loaded, second.plans_loaded]).toEqual([0, 1]);
    expectExact(await harness.verify());
    // The first run discovered the org from one saturated search; the second started from a plan.
    const firstBucket = (manifest: typeof first) => manifest.buckets.detail[0]!.searches;
    expect(firstBucket(second)).toBeLessThan(firstBucket(first));
    const later = second.buckets.detail.slice(1).map((bucket) => bucket.searches);
    expect(firstBucket(second)).toBeLessThanOrEqual(Math.max(...later));

    // A backfill of older buckets leaves the newer plan for the next scheduled run.
    const plans = join(harness.outDir, '_plans');
    const [planFile] = await listFiles(plans);
    const newest = JSON.parse(await readFile(planFile!, 'utf8')).bucket_start;
    await harness.export({ from, to: from + HOUR });
    expect(JSON.parse(await readFile(planFile!, 'utf8')).bucket_start).toBe(newest);
    expect(newest).toBe(new Date(to - HOUR).toISOString());

    // A plan saved for other bucket sizes is not used.
    const quarterHours = await harness.export({ from: middle, to: middle + HOUR, bucketMs: HOUR / 4 });
    expect(quarterHours.plans_loaded).toBe(0);
  });
});

describe('exporting orgs that saturate the 100-result cap', () => {
  it('bursty: splits bursts by time and service and matches ground truth', async () => {
    harness = await startHarness({ distribution: 'bursty', issues: 1500, services: 12, seed: 12 });
    const manifest = await harness.export();
    expect(manifest.status).toBe('complete');
    expect(manifest.splits.time + manifest.splits.service).toBeGreaterThan(0);
    expectExact(await harness.verify());
  });

  it.each([7, 10])(
    'plans later buckets from earlier ones without gaps or double counts (bursty seed %i)',
    async (seed) => {
      const to = Date.UTC(2025, 0, 15);
      harness = await startHarness({
        distribution: 'bursty',
        issues: 300,
        services: 4,
        seed,
        from: to - 2 * HOUR,
        to,
      });
      await harness.export();
      expectExact(await harness.verify());
    },
  );

  it('continuously dense: more than 100 concurrent issues, within 3 × the lower bound of searches', async () => {
    harness = await startHarness({ distribution: 'dense', issues: 400, services: 8, seed: 13 });
    const manifest = await harness.export();
    const comparison = await harness.verify();
    expectExact(comparison);
    expect(comparison.expected).toBe(2400);
    expect(manifest.searches).toBeLessThanOrEqual(3 * Math.ceil(comparison.expected / 100));
    const [exactness] = await query(
      'SELECT bool_and(bucket_complete) AS complete, count(*) FILTER (WHERE impacted_counts_exact) AS exact_rows FROM issues',
    );
    expect(exactness?.complete).toBe(true);
  });

  it('divides a service with more continuous issues than one track holds by error type, within 3 × the bound', async () => {
    harness = await startHarness({ distribution: 'dense', issues: 1000, services: 8, seed: 13 });
    const manifest = await harness.export(DIVIDING);
    const comparison = await harness.verify();
    expectExact(comparison);
    expect(manifest.splits.error_type).toBeGreaterThan(0);
    expect(manifest.searches).toBeLessThanOrEqual(3 * Math.ceil(comparison.expected / 100));
    // Later buckets search the busy services by error type from the start, each over the whole hour.
    const typed = harness.simulator.stats.searchLog.filter((search) => search.query.includes('@error.type'));
    const lastHour = harness.simulator.org.to - HOUR;
    expect(typed.filter((search) => search.from === lastHour && search.to === lastHour + HOUR).length).toBe(
      typed.filter((search) => search.from >= lastHour).length,
    );
  });

  it('searches an error type too big for one search in time windows from the start, once measured', async () => {
    // Three services of 4,000 issues: a few error types hold well over 100 issues an hour.
    const from = Date.UTC(2025, 0, 15);
    harness = await startHarness({
      distribution: 'uniform',
      issues: 4000,
      services: 3,
      seed: 2,
      from,
      to: from + 3 * HOUR,
    });
    await harness.export(DIVIDING);
    expectExact(await harness.verify());
    const lastHour = harness.simulator.org.to - HOUR;
    const searches = harness.simulator.stats.searchLog.filter((search) => search.from >= lastHour);
    const divided = new Set(
      searches.filter((search) => search.to - search.from < HOUR).map((search) => search.query),
    );
    expect(divided.size).toBeGreaterThan(0);
    for (const query of divided) {
      expect(query).toMatch(/^service:[\w.-]+ AND @error\.type:[\w.-]+$/);
      // No search of the whole hour first, to find it saturated.
      expect(searches.filter((search) => search.query === query && search.to - search.from === HOUR)).toEqual(
        [],
      );
    }
  });

  it('stays exact on an API that refuses the error-type facet, falling back to states and time', async () => {
    harness = await startHarness(
      { distribution: 'dense', issues: 300, services: 1, seed: 13 },
      { refusedQueryFields: ['error.type'] },
    );
    const manifest = await harness.export(DIVIDING);
    expect(manifest.status).toBe('complete');
    expect(manifest.splits.error_type).toBe(0);
    expect(manifest.splits.states).toBeGreaterThan(0);
    // Searches already in flight may be refused too; after that the run stops asking, so fewer than one
    // refusal per bucket.
    expect(harness.simulator.stats.byStatus['400']).toBeGreaterThan(0);
    expect(harness.simulator.stats.byStatus['400']).toBeLessThan(6);
    expectExact(await harness.verify());
  });

  it('without the error-type facet, divides a burst of one service by track before halving it in time', async () => {
    harness = await startHarness(
      { distribution: 'bursty', issues: 400, services: 1, seed: 7 },
      { refusedQueryFields: ['error.type'] },
    );
    const manifest = await harness.export(DIVIDING);
    const comparison = await harness.verify();
    expectExact(comparison);
    // Halving the burst down to one-minute windows, every issue in several of them, took 187 searches.
    expect(manifest.searches).toBeLessThanOrEqual(8 * Math.ceil(comparison.expected / 100));
    expect(manifest.splits.track).toBeGreaterThan(0);
  });

  it('stops dividing by track once a window divided so shows an issue in none of its tracks, and stays exact', async () => {
    // 5 % of the issues are in a track newer than trace, logs and rum: persona ALL finds them, no search
    // by track does. Divided by track as before, 43 issue-buckets were missed with the run complete.
    const started = await orgWithNewTrack('bursty', 1, 3);
    harness = started;
    const manifest = await started.export(DIVIDING);
    expectExact(await started.verify());
    expect(manifest.status).toBe('complete');
    // A window was divided by track, showed the new track, and its bucket started over without tracks.
    const byTrack = started.simulator.stats.searchLog.filter((search) => search.track !== undefined);
    expect(byTrack.length).toBeGreaterThan(0);
    expect(manifest.splits.track).toBe(0);
    expect(manifest.splits_not_used).toEqual(['error_type', 'page', 'track']);
    const firstBucketEnd = started.simulator.org.from + HOUR;
    expect(byTrack.every((search) => search.from < firstBucketEnd)).toBe(true);
  });

  it('probes a window ranked other ways before dividing it by track, so a quiet issue in a newer track is not missed', async () => {
    // 1 % of 600 issues are in a newer track, too quiet for the loudest 100 of the windows divided by
    // track: without the probes, 9 issue-buckets were missed with the run complete.
    const to = Date.UTC(2025, 0, 15);
    const started = await startHarness(
      {
        distribution: 'bursty',
        issues: 600,
        services: 1,
        seed: 8,
        newTrackRate: 0.01,
        from: to - 3 * HOUR,
        to,
      },
      { refusedQueryFields: ['error.type'] },
    );
    harness = started;
    const manifest = await started.export();
    expectExact(await started.verify());
    expect(manifest.status).toBe('complete');
    expect(manifest.splits_not_used).toContain('track');
    const ranked = started.simulator.stats.searchLog.filter((search) => search.order_by === 'FIRST_SEEN');
    expect(ranked.length).toBeGreaterThan(0);
  });

  it('with --no-track-splits never searches by track, and stays exact with issues in a newer track', async () => {
    const started = await orgWithNewTrack('dense', 3, 2);
    harness = started;
    const manifest = await started.export({ trackSplits: false });
    expectExact(await started.verify());
    expect(manifest.status).toBe('complete');
    expect(manifest.splits_not_used).toEqual(['error_type', 'track']);
    expect(started.simulator.stats.searchLog.some((search) => search.track !== undefined)).toBe(false);
  });

  it.each(['dropped', 'unmatched', 'strict'] as const)(
    'notices an API that accepts the error-type facet but misapplies it (terms %s), and stays exact without it',
    async (behaviour) => {
      const started = await startHarness(
        { distribution: 'dense', issues: 400, services: 8, seed: 1 },
        { ignoredQueryFields: { 'error.type': behaviour } },
      );
      harness = started;
      const manifest = await started.export();
      const comparison = await started.verify();
      expectExact(comparison);
      expect(manifest.status).toBe('complete');
      expect(manifest.splits.error_type).toBe(0);
      // Trusting the facet took 714 (dropped) and 153 (unmatched) searches here, and strict lost 1,343 of
      // 2,400 issue-hours (no result outside the filter, only results missing); without it, about 50.
      expect(manifest.searches).toBeLessThanOrEqual(3 * Math.ceil(comparison.expected / 100));
      const log = started.simulator.stats.searchLog;
      const namingErrorTypes = log.filter((search) => search.query.includes('@error.type'));
      expect(namingErrorTypes.length).toBeGreaterThan(0);
      // Once noticed, no later bucket names error types again.
      const lastNaming = Math.max(...namingErrorTypes.map((search) => search.from));
      expect(lastNaming).toBeLessThan(started.simulator.org.from + 2 * HOUR);
    },
  );

  it('proves error types before a plan first relies on them, when no saturated search of its bucket came first', async () => {
    // The first hour fits one search, so the second is the first planned with error types, and its plan
    // has no issue shown yet to check them by: one search of the whole hour shows some. Without it, an
    // API letting error-type terms match nothing lost 67 of this org's issue-hours.
    const from = Date.UTC(2026, 0, 1);
    harness = await startHarness(
      { distribution: 'bursty', issues: 200, services: 8, seed: 1, from, to: from + 3 * HOUR },
      { ignoredQueryFields: { 'error.type': 'strict' } },
    );
    const manifest = await harness.export(DIVIDING);
    expectExact(await harness.verify());
    expect(manifest.buckets.detail[0]!.searches).toBe(1);
    const secondHour = harness.simulator.stats.searchLog.filter((search) => search.from >= from + HOUR);
    expect(secondHour[0]?.query).toBe('*');
    expect(secondHour.some((search) => search.query.includes('@error.type'))).toBe(true);
  });

  it.each(['refused', 'ignored'] as const)(
    'stays exact when the API has neither error types nor the states field (states %s)',
    async (statesAttribute) => {
      const from = Date.UTC(2026, 0, 1);
      harness = await startHarness(
        { distribution: 'dense', issues: 150, services: 1, seed: 1, from, to: from + 3 * HOUR },
        { refusedQueryFields: ['error.type'], statesAttribute },
      );
      const manifest = await harness.export(DIVIDING);
      expectExact(await harness.verify());
      expect(manifest.status).toBe('complete');
      expect(manifest.splits.states).toBe(0);
      const byState = harness.simulator.stats.searchLog.filter((search) => search.states);
      if (statesAttribute === 'refused') {
        expect(byState).toEqual([]);
        expect(harness.simulator.stats.byStatus['400']).toBeGreaterThan(0);
      } else {
        // Only searches made before the run noticed, in the one bucket that found out.
        expect(byState.length).toBeGreaterThan(0);
        expect(new Set(byState.map((search) => Math.floor((search.from - from) / HOUR))).size).toBe(1);
      }
    },
  );

  it.each(['dropped', 'strict'] as const)(
    'stops with a one-line error, rather than trust it, when the API misapplies the service facet (terms %s)',
    async (behaviour) => {
      harness = await startHarness(
        { distribution: 'uniform', issues: 1500, services: 8, seed: 1 },
        { ignoredQueryFields: { service: behaviour } },
      );
      const failure = await harness.export().catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(SearchFacetMisappliedError);
      expect((failure as SearchFacetMisappliedError).facet).toBe('service');
      expect((failure as SearchFacetMisappliedError).exitCode).toBe(1);
      expect((failure as Error).message).toMatch(/does not apply the service: term.*DD_API_URL/);
    },
  );

  it('without the error-type facet, plans a continuously dense service by state from the bucket before, within 3 × the bound', async () => {
    const started = await startHarness(
      { distribution: 'dense', issues: 400, services: 8, seed: 1 },
      { refusedQueryFields: ['error.type'] },
    );
    harness = started;
    const manifest = await started.export(DIVIDING);
    const comparison = await started.verify();
    expectExact(comparison);
    expect(manifest.searches).toBeLessThanOrEqual(3 * Math.ceil(comparison.expected / 100));
    // After the first bucket, the service whose open issues err all hour is searched by state group from
    // the start: no saturated search of it first.
    const later = started.simulator.stats.searchLog.filter(
      (search) => search.from >= started.simulator.org.from + HOUR,
    );
    expect(later.some((search) => search.states?.join() === 'OPEN')).toBe(true);
    expect(manifest.searches_by_state).toBe(
      started.simulator.stats.searchLog.filter((search) => search.states).length,
    );
    // Each bucket's share, so an audit can tell which buckets relied on searches by state.
    expect(manifest.buckets.detail.map((bucket) => bucket.searches_by_state)).toEqual(
      manifest.buckets.detail.map(
        (bucket) =>
          started.simulator.stats.searchLog.filter(
            (search) =>
              search.states &&
              search.from >= Date.parse(bucket.start) &&
              search.from < Date.parse(bucket.start) + HOUR,
          ).length,
      ),
    );
    // Each bucket planned by state first searches the newest and the loudest issues of the service it
    // divides by state, in every state: checks, left out of the saturated searches counted below.
    const newestChecks = later.filter((search) => search.order_by === 'FIRST_SEEN');
    expect(newestChecks).toHaveLength(5);
    const loudestChecks = later.filter((search) =>
      newestChecks.some(
        (newest) =>
          search.order_by === 'TOTAL_COUNT' &&
          !search.states &&
          (['from', 'to', 'query'] as const).every((field) => search[field] === newest[field]),
      ),
    );
    expect(loudestChecks).toHaveLength(5);
    const engine = new SearchEngine(started.simulator.org);
    const saturated = later.filter(
      (search) =>
        !newestChecks.includes(search) &&
        !loudestChecks.includes(search) &&
        engine.search(search, new Set()).data.length >= 100,
    );
    expect(saturated).toEqual([]);
  });

  it('divides a window whose time halves err throughout by state as a whole, not half by half', async () => {
    harness = await startHarness(
      { distribution: 'dense', issues: 400, services: 4, seed: 7 },
      { refusedQueryFields: ['error.type'] },
    );
    const { org, stats } = harness.simulator;
    await harness.export(DIVIDING);
    expectExact(await harness.verify());
    const firstBucketByState = stats.searchLog.filter(
      (search) => search.from < org.from + HOUR && search.states && search.order_by !== 'FIRST_SEEN',
    );
    expect(firstBucketByState.length).toBeGreaterThan(0);
    for (const search of firstBucketByState) expect(search.to - search.from).toBe(HOUR);
  });

  it('probes for undocumented states before dividing by state, so an issue in one is not missed', async () => {
    // One service whose issues err all hour, 2 % of them in a state the `states` field does not accept.
    const started = await startHarness(
      {
        distribution: 'dense',
        issues: 250,
        services: 1,
        seed: 2,
        unknownEnumRate: 0.02,
        from: Date.UTC(2026, 0, 1),
        to: Date.UTC(2026, 0, 1, 2),
      },
      { refusedQueryFields: ['error.type'] },
    );
    harness = started;
    expect(started.simulator.org.issues.some((issue) => issue.state === 'SNOOZED')).toBe(true);
    const manifest = await started.export();
    expectExact(await started.verify());
    // The probe saw the undocumented state, so nothing was searched by state (without the probe, 184
    // searches were, and 6 issue-buckets were missed).
    expect(manifest.searches_by_state).toBe(0);
    expect(manifest.splits_not_used).toEqual(['error_type', 'states']);
    expect(manifest.status).toBe('complete');
  });

  it('probes the whole window in other rankings too, so an issue in an undocumented state too quiet for the loudest 100 is not missed', async () => {
    // Two of 250 issues erring all the time are in a state the `states` field does not accept, and too
    // quiet to show in a short stretch or among the loudest 100: without the ranked probes, both were
    // lost in every bucket, with the run reported complete.
    const started = await startHarness(
      { distribution: 'dense', issues: 250, services: 1, seed: 3, unknownEnumRate: 0.03 },
      { refusedQueryFields: ['error.type'] },
    );
    harness = started;
    expect(started.simulator.org.issues.filter((issue) => issue.state === 'SNOOZED')).toHaveLength(2);
    const manifest = await started.export(DIVIDING);
    expectExact(await started.verify());
    expect(manifest.status).toBe('complete');
    expect(manifest.searches_by_state).toBe(0);
    const ranked = started.simulator.stats.searchLog.filter((search) => search.order_by === 'FIRST_SEEN');
    expect(ranked.length).toBeGreaterThan(0);
  });

  /**
   * A dense one-service org without error types where one issue errs only from the fifth hour, in a state
   * the `states` field does not accept: by then the service is planned by state from the buckets before,
   * and the run's probe is long past.
   */
  const withLateIssueInUndocumentedState = async (issues: number) => {
    const started = await startHarness(
      { distribution: 'dense', issues, services: 1, seed: 5 },
      { refusedQueryFields: ['error.type'] },
    );
    harness = started;
    const late = started.simulator.org.issues.find((issue) => issue.track === 'trace')!;
    errOnlyFrom(late, started.simulator.org.from + 4 * HOUR);
    late.state = 'SNOOZED';
    return { started, late };
  };

  /** Exports, expecting every issue-bucket exact, the run complete and some buckets divided by state. */
  const expectExactPlannedByState = async (started: Harness) => {
    const manifest = await started.export(DIVIDING);
    expectExact(await started.verify());
    expect(manifest.status).toBe('complete');
    expect(manifest.searches_by_state).toBeGreaterThan(0);
  };

  it('checks each bucket planned by state for new issues in an undocumented state', async () => {
    // Without the check of each such bucket's newest issues, the late issue's 2 issue-buckets were lost,
    // the run reported complete.
    const { started } = await withLateIssueInUndocumentedState(250);
    await expectExactPlannedByState(started);
  });

  it('checks the newest issues of the services divided by state alone, so new issues elsewhere do not hide one', async () => {
    const { started, late } = await withLateIssueInUndocumentedState(400);
    const { org } = started.simulator;
    // 150 issues of a new service first err half an hour later: newer than the one in an undocumented
    // state, they filled the check of the whole bucket's newest issues, and its 2 issue-buckets were lost.
    for (const issue of org.issues.filter((issue) => issue !== late).slice(0, 150)) {
      errOnlyFrom(issue, org.from + 4.5 * HOUR);
      issue.service = 'fresh';
    }
    org.services.push('fresh');
    await expectExactPlannedByState(started);
  });

  it('checks each bucket planned by state for old issues erring again in an undocumented state', async () => {
    // First seen ten days before the range, the late issue never ranks among the newest: without the
    // check of the loudest issues of the service divided by state, its 2 issue-buckets were lost, the run
    // reported complete.
    const { started, late } = await withLateIssueInUndocumentedState(250);
    late.firstSeen = started.simulator.org.from - 240 * HOUR;
    await expectExactPlannedByState(started);
  });

  it('without state splits, finds an old, quiet issue in an undocumented state that searches by state miss', async () => {
    // First seen ten days before the range and erring only twice, in the fifth hour: it ranks neither
    // among the newest nor among the loudest, so the checks before a plan by state cannot see it, and
    // with state splits its issue-bucket is missed while the run reports complete.
    const { started, late } = await withLateIssueInUndocumentedState(250);
    late.firstSeen = started.simulator.org.from - 240 * HOUR;
    const quiet = Array.from(late.occurrences.timestamps).slice(0, 2);
    late.occurrences = {
      timestamps: Float64Array.from(quiet),
      userIds: late.occurrences.userIds.slice(0, 2),
      sessionIds: late.occurrences.sessionIds.slice(0, 2),
    };
    const manifest = await started.export({ stateSplits: false });
    expectExact(await started.verify());
    expect(manifest.status).toBe('complete');
    expect(manifest.searches_by_state).toBe(0);
    expect(started.simulator.stats.searchLog.some((search) => search.states)).toBe(false);
  });

  it('without state splits, declares a millisecond only states divide incomplete, and says why', async () => {
    harness = await startHarness({ distribution: 'collisions', issues: 400, services: 1, seed: 3 });
    const manifest = await harness.export({ ...DIVIDING, stateSplits: false });
    expect(manifest.status).toBe('incomplete');
    expect(manifest.searches_by_state).toBe(0);
    expect(manifest.incomplete_windows.map((window) => window.reason)).toEqual([
      expect.stringMatching(
        /cannot be split .*, nor paged by issue id \(not used in this run: state, issue id\)$/,
      ),
    ]);
    const comparison = await harness.verify();
    const incompleteBucket = Date.parse(manifest.incomplete_windows[0]!.bucket_start);
    for (const entry of [...comparison.missing, ...comparison.wrongTotals])
      expect(entry.bucketStart).toBe(incompleteBucket);
    expect(comparison.unexpected).toEqual([]);
  });

  it('same-millisecond collisions that states can still split are exported exactly', async () => {
    harness = await startHarness({ distribution: 'collisions', issues: 400, services: 1, seed: 3 });
    const manifest = await harness.export(DIVIDING);
    expect(manifest.status).toBe('complete');
    expect(manifest.splits.states).toBeGreaterThan(0);
    expectExact(await harness.verify());
  });

  it('declares a millisecond it cannot split incomplete, and every other bucket stays exact', async () => {
    harness = await startHarness({
      distribution: 'collisions',
      issues: 400,
      services: 1,
      seed: 3,
      unknownEnumRate: 0.1,
    });
    const manifest = await harness.export(DIVIDING);
    expect(manifest.status).toBe('incomplete');
    expect(manifest.incomplete_windows).toHaveLength(1);
    const [window] = manifest.incomplete_windows;
    expect(window).toMatchObject({ from: window?.bucket_start, scope: 'persona:ALL' });
    expect(Date.parse(window!.to) - Date.parse(window!.from)).toBe(1);
    expect(window?.reason).toMatch(/cannot be split/);
    const incompleteBucket = Date.parse(window!.bucket_start);

    const comparison = await harness.verify();
    const wrongBuckets = new Set(
      [...comparison.missing, ...comparison.wrongTotals].map((entry) => entry.bucketStart),
    );
    expect([...wrongBuckets]).toEqual([incompleteBucket]);
    expect(comparison.unexpected).toEqual([]);
    expect(comparison.duplicateRows).toBe(0);
    const flags = await query(
      'SELECT epoch_ms(window_start) AS bucket, bool_and(bucket_complete) AS complete FROM issues GROUP BY ALL HAVING NOT bool_and(bucket_complete)',
    );
    expect(flags).toEqual([{ bucket: incompleteBucket, complete: false }]);
    expect(manifest.buckets.incomplete).toBe(1);
  });
});

describe('exporting awkward data', () => {
  it('odd service names land in Hive-escaped partitions that decode back to the raw value', async () => {
    harness = await startHarness({
      distribution: 'uniform',
      issues: 400,
      services: 6,
      seed: 14,
      oddServiceNames: true,
    });
    await harness.export();
    expectExact(await harness.verify());
    const rows = await query(`
      SELECT DISTINCT service, regexp_extract(filename, '/service=([^/]*)/', 1) AS folder
      FROM read_parquet('${harness.outDir}/issues/**/*.parquet', filename = true, hive_partitioning = false)`);
    expect(rows.length).toBeGreaterThan(6);
    for (const row of rows) {
      const raw = row.service as string | null;
      if (raw === null || raw === '') expect(row.folder).toBe(HIVE_DEFAULT_PARTITION);
      else expect(unescapePartitionValue(row.folder as string)).toBe(raw);
    }
    expect(rows.some((row) => row.service === null)).toBe(true);
    expect(rows.some((row) => typeof row.service === 'string' && /[/=%#]/.test(row.service))).toBe(true);
  });

  it('plans the first bucket of an org with issues without a service from a sample that counts them', async () => {
    harness = await startHarness({
      distribution: 'bursty',
      issues: 2000,
      services: 12,
      seed: 1,
      oddServiceNames: true,
    });
    const { from } = harness.simulator.org;
    const manifest = await harness.export({ from, to: from + HOUR });
    const comparison = await harness.verify({ from, to: from + HOUR });
    expectExact(comparison);
    expect(comparison.expected).toBe(749);
    // Every search of the services shown least finds the issues without a service again; taking them
    // for the tail services' issues scaled the others threefold (30 searches; now 15, at least 8).
    expect(manifest.searches).toBeLessThanOrEqual(20);
  });

  it('hydrates relationships missing from included, and records dangling ones as null', async () => {
    harness = await startHarness({
      distribution: 'uniform',
      issues: 400,
      services: 6,
      seed: 15,
      missingIncludedRate: 0.3,
    });
    const manifest = await harness.export();
    expectExact(await harness.verify());
    expect(manifest.hydration.users + manifest.hydration.cases + manifest.hydration.teams).toBeGreaterThan(0);
    expect(manifest.hydration.notFound).toBeGreaterThan(0);
    const org = harness.simulator.org;
    const rows = await query(
      'SELECT DISTINCT assignee_id, assignee_handle, case_id, case_key, team_ids, team_names FROM issues WHERE assignee_id IS NOT NULL OR case_id IS NOT NULL',
    );
    let omittedUsersResolved = 0;
    for (const row of rows) {
      if (row.assignee_id) {
        const user = org.users.get(row.assignee_id as string);
        expect(row.assignee_handle).toBe(user ? user.handle || null : null);
        if (user?.omitFromIncluded) omittedUsersResolved += 1;
      }
      if (row.case_id) expect(row.case_key).toBe(org.cases.get(row.case_id as string)?.key ?? null);
      const teamIds = (row.team_ids as string[] | null) ?? [];
      expect(row.team_names ?? []).toEqual(teamIds.map((id) => org.teams.get(id)?.name ?? null));
    }
    expect(omittedUsersResolved).toBeGreaterThan(0);
    expect(rows.some((row) => org.danglingIds.users.includes(row.assignee_id as string))).toBe(true);
    expect(
      harness.simulator.stats.byEndpoint.get_user ?? 0,
      'each missing user is fetched once per run, not once per row',
    ).toBeLessThanOrEqual(org.users.size + org.danglingIds.users.length);
  });

  it('keeps unknown enum values and unknown attributes as data', async () => {
    harness = await startHarness({
      distribution: 'uniform',
      issues: 400,
      services: 6,
      seed: 16,
      unknownEnumRate: 0.2,
    });
    await harness.export();
    expectExact(await harness.verify());
    const known = "('OPEN','ACKNOWLEDGED','RESOLVED','IGNORED','EXCLUDED')";
    const [row] = await query(`
      SELECT count(*) FILTER (WHERE state NOT IN ${known}) AS unknown_states,
             count(*) FILTER (WHERE raw_attributes IS NOT NULL AND json_valid(raw_attributes)) AS with_raw
      FROM issues`);
    expect(row?.unknown_states).toBeGreaterThan(0);
    expect(row?.with_raw).toBeGreaterThan(0);
  });

  it('searches tracks separately when asked, one row per issue, bucket and track', async () => {
    harness = await startHarness({ distribution: 'uniform', issues: 300, services: 6, seed: 17 });
    await harness.export({
      scopes: [
        { query: '*', track: 'trace' },
        { query: '*', track: 'logs' },
        { query: '*', track: 'rum' },
      ],
    });
    expectExact(await harness.verify());
    const tracks = await query('SELECT DISTINCT track FROM issues ORDER BY track');
    expect(tracks).toEqual([{ track: 'logs' }, { track: 'rum' }, { track: 'trace' }]);
  });

  it('exports only what a persona and query select', async () => {
    harness = await startHarness({ distribution: 'uniform', issues: 300, services: 6, seed: 18 });
    const service = harness.simulator.org.services[0]!;
    await harness.export({ scopes: [{ query: `service:"${service}"`, persona: 'BACKEND' }] });
    const comparison = await harness.verify(undefined, { query: `service:"${service}"`, persona: 'BACKEND' });
    if (comparison.expected === 0) {
      expect(comparison.unexpected).toEqual([]);
    } else expectExact(comparison);
  });
});

describe('exporting through an unreliable, rate-limited API', () => {
  it('retries 5xx, HTML and truncated bodies, paces to the rate limit, and still matches ground truth', async () => {
    harness = await startHarness(
      { distribution: 'dense', issues: 400, services: 8, seed: 19 },
      {
        rateLimit: { limit: 25, periodSeconds: 1 },
        faults: { seed: 4, serverErrorRate: 0.05, badGatewayRate: 0.05, truncatedJsonRate: 0.05 },
      },
    );
    const manifest = await harness.export();
    expectExact(await harness.verify());
    const faults = harness.simulator.stats.faults;
    expect(Object.values(faults).reduce((sum, count) => sum + count, 0)).toBeGreaterThan(0);
    expect(manifest.api.retries).toBeGreaterThan(0);
    expect(manifest.api.requests).toBe(harness.simulator.stats.requests);
  });
});
