import { describe, expect, it } from 'vitest';
import type { IssueWire, SearchResponseWire } from '../../lib/datadog/types';
import type { BucketPlan } from '../../lib/enumerate/density';
import { searchPlan } from '../../lib/enumerate/search-plan';
import { clauseMatches, clausesOf, type SearchWindow } from '../../lib/enumerate/split';

const HOUR = 3_600_000;

/** A bucket whose issues are `issues[service]` issues per service, and a plan of one piece per service. */
function bucketOf(
  issues: Record<string, number>,
  planned: Record<string, number>,
  options: Pick<
    BucketPlan,
    'togetherFirst' | 'divisibleByTime' | 'divideByTime' | 'classes' | 'quieterShare'
  > & {
    budget?: number;
    /** How many times every issue erred in the bucket. */
    errorsPerIssue?: number;
    /** Services whose issues err throughout: searched alone, their window says so. */
    erringThroughout?: readonly string[];
    /** What the caller answers when asked to divide a window without searching it. */
    dividesUnsearched?: boolean;
  } = {},
) {
  const { budget, erringThroughout = [], dividesUnsearched, errorsPerIssue = 1, ...planOptions } = options;
  const services = Object.keys(planned);
  const all = Object.entries(issues).flatMap(([service, count]) =>
    Array.from({ length: count }, (_, index) => ({ id: `${service}-${index}`, service })),
  );
  const plan: BucketPlan = {
    fixed: [],
    pieces: services.map((service) => planned[service]!),
    windowOf: (pieces) => ({
      from: 0,
      to: HOUR,
      filter: { includeServices: pieces.map((piece) => services[piece]!) },
      ...(pieces.length === 1 && erringThroughout.includes(services[pieces[0]!]!) ? { timeDense: true } : {}),
    }),
    pieceOf: (service) => (service === undefined ? undefined : services.indexOf(service)),
    ...planOptions,
  };
  const searched: SearchWindow[] = [];
  const settled: Array<{ window: SearchWindow; found: number }> = [];
  const abandoned: SearchWindow[] = [];
  const dividedUnsearched: SearchWindow[][] = [];
  const search = async (window: SearchWindow): Promise<SearchResponseWire> => {
    searched.push(window);
    const matching = all.filter((issue) =>
      clausesOf(window.filter).some((clause) => clauseMatches(clause, issue.service, undefined)),
    );
    return {
      data: matching.slice(0, 100).map((issue) => ({
        id: issue.id,
        type: 'error_tracking_search_result',
        attributes: { total_count: errorsPerIssue },
      })),
    };
  };
  const issueOf = (issueId: string): IssueWire => ({
    id: issueId,
    type: 'issue',
    attributes: { service: issueId.split('-')[0]! },
  });
  const run = () =>
    searchPlan(plan, {
      search,
      settle: async (window, response) => {
        settled.push({ window, found: response.data.length });
      },
      issueOf,
      affordable: () => budget === undefined || searched.length < budget,
      abandon: (window) => {
        abandoned.push(window);
      },
      ...(dividesUnsearched === undefined
        ? {}
        : {
            divideUnsearched: async (windows: readonly SearchWindow[]) => {
              if (dividesUnsearched) dividedUnsearched.push([...windows]);
              return dividesUnsearched;
            },
          }),
    });
  return { run, searched, settled, abandoned, dividedUnsearched };
}

const servicesOf = (window: SearchWindow) => window.filter.includeServices ?? [];

/** `count` equal windows of the bucket searching piece `piece` (service a, b or c), each expected to hold `perWindow`. */
function equalWindows(piece: number, count: number, perWindow: number) {
  return Array.from({ length: count }, (_, index) => ({
    from: (index * HOUR) / count,
    to: ((index + 1) * HOUR) / count,
    filter: { includeServices: [['a', 'b', 'c'][piece]!] },
    expected: perWindow,
  }));
}

/** A bucket of twelve services, each planned at `planned` issues and holding `issues`. */
function twelveServices(planned: number, issues: number) {
  const services = [...'abcdefghijkl'];
  return bucketOf(
    Object.fromEntries(services.map((service) => [service, issues])),
    Object.fromEntries(services.map((service) => [service, planned])),
  );
}

describe('searching a plan', () => {
  it('never packs pieces of different classes into one search', async () => {
    const planned = { a: 15, b: 15, c: 15, d: 15 };
    const together = bucketOf(planned, planned);
    expect(await together.run()).toEqual([]);
    expect(together.searched.map(servicesOf)).toEqual([['a', 'b', 'c', 'd']]);
    const apart = bucketOf(planned, planned, { classes: ['open', 'rest', 'open', 'rest'] });
    expect(await apart.run()).toEqual([]);
    expect(apart.searched.map(servicesOf).map((services) => [...services].sort())).toEqual([
      ['a', 'c'],
      ['b', 'd'],
    ]);
  });

  it('packs what is left by how much busier the first search found the bucket than planned', async () => {
    // Every service holds 1.3 times what the plan expects.
    const bucket = bucketOf(
      { a: 39, b: 39, c: 26, d: 26, e: 13, f: 13 },
      { a: 30, b: 30, c: 20, d: 20, e: 10, f: 10 },
    );
    expect(await bucket.run()).toEqual([]);
    // The first search is packed to 70 planned issues and finds 91: the rest, about 60 once grown, fits one more.
    expect(bucket.searched.map(servicesOf)).toEqual([
      ['a', 'b', 'e'],
      ['c', 'd', 'f'],
    ]);
    expect(bucket.settled.map(({ found }) => found)).toEqual([91, 65]);
  });

  it('packs the pieces of a saturated search again, by what it showed of each, with the pieces still to search', async () => {
    const bucket = bucketOf({ a: 80, b: 60, c: 20, d: 10 }, { a: 40, b: 30, c: 20, d: 10 });
    expect(await bucket.run()).toEqual([]);
    const searched = bucket.searched.map(servicesOf);
    expect(searched[0]).toEqual(['a', 'b']);
    // Nothing of a saturated search is kept; every service ends in exactly one search under the cap.
    expect(bucket.settled.every(({ found }) => found < 100)).toBe(true);
    const settledServices = bucket.settled.flatMap(({ window }) => servicesOf(window)).sort();
    expect(settledServices).toEqual(['a', 'b', 'c', 'd']);
    expect(bucket.settled.reduce((sum, { found }) => sum + found, 0)).toBe(170);
  });

  it('sizes the rest of a bucket 3.5 times busier than planned (a burst) from its saturated searches', async () => {
    const bucket = twelveServices(10, 35);
    expect(await bucket.run()).toEqual([]);
    expect(bucket.settled.reduce((sum, { found }) => sum + found, 0)).toBe(420);
    // The first search, packed to 70 planned issues, saturates; then two services of 35 fit a search
    // and three do not, so six more searches is the least. Growth read as at most twice the plan, and
    // saturated searches as holding 120 issues, took twelve.
    expect(bucket.searched.length).toBe(7);
    expect(bucket.settled.map(({ found }) => found)).toEqual([70, 70, 70, 70, 70, 70]);
  });

  it('reads a saturated search whose quietest issue erred more often than most did in the bucket before as a burst', async () => {
    // Twelve services planned at 10 issues hold 25 each, every issue erring 6 times: in the bucket before,
    // 90 % of issues erred fewer times than that, so the 100 shown stand for about 160 of the 70 planned.
    const services = [...'abcdefghijkl'];
    const searchesWith = async (quieterShare?: (count: number) => number) => {
      const bucket = bucketOf(
        Object.fromEntries(services.map((service) => [service, 25])),
        Object.fromEntries(services.map((service) => [service, 10])),
        { errorsPerIssue: 6, ...(quieterShare ? { quieterShare } : {}) },
      );
      expect(await bucket.run()).toEqual([]);
      expect(bucket.settled.reduce((sum, { found }) => sum + found, 0)).toBe(300);
      return bucket.searched.length;
    };
    expect(await searchesWith((count) => (count > 2 ? 0.9 : 0))).toBe(5);
    // Read as no more than the 100 shown (as when the quietest erred as often as most), one more search.
    expect(await searchesWith((count) => (count > 6 ? 0.9 : 0))).toBe(6);
    expect(await searchesWith()).toBe(6);
  });

  it('sizes the rest of a bucket a third as busy as planned (the hour after a burst) from its first search', async () => {
    const bucket = twelveServices(36, 12);
    expect(await bucket.run()).toEqual([]);
    expect(bucket.settled.reduce((sum, { found }) => sum + found, 0)).toBe(144);
    // The first search finds a third of its plan; growth read as at least 0.6 of the plan took five
    // searches (12, 24, 36, 36, 36), since every later one held at most 36 of the 91 packed for.
    expect(bucket.settled.map(({ found }) => found)).toEqual([12, 36, 48, 48]);
  });

  it('reads a piece that saturates alone as growth too, sizing the pieces after it', async () => {
    const bucket = bucketOf({ a: 130, b: 60, c: 60, d: 60, e: 60 }, { a: 65, b: 30, c: 30, d: 30, e: 30 });
    expect(await bucket.run()).toEqual([]);
    // The bucket is twice its plan: once `a`'s saturated search says so, no two of the others are packed
    // together. Before, they were packed by the plan alone, and the first two saturated a search.
    expect(bucket.searched.map(servicesOf)).toEqual([['a'], ['b'], ['c'], ['d'], ['e']]);
  });

  it('has the caller divide a piece erring throughout and expected to fill a search without searching it whole', async () => {
    // Like any type measured in time windows, it is a piece time may divide; erring throughout, it cannot.
    const dense = {
      erringThroughout: ['a'],
      dividesUnsearched: true,
      divisibleByTime: new Set([0]),
      divideByTime: () => undefined,
    };
    const bucket = bucketOf({ a: 150, b: 40 }, { a: 140, b: 40 }, dense);
    expect(await bucket.run()).toEqual([]);
    expect(bucket.dividedUnsearched.map((windows) => windows.map(servicesOf))).toEqual([[['a']]]);
    expect(bucket.searched.map(servicesOf)).toEqual([['b']]);
    // Expected to fit a search, it is searched; so is one the caller cannot divide unsearched.
    const fits = bucketOf({ a: 80, b: 40 }, { a: 80, b: 40 }, dense);
    await fits.run();
    expect(fits.dividedUnsearched).toEqual([]);
    expect(fits.searched.map(servicesOf)).toContainEqual(['a']);
    const refused = bucketOf({ a: 150, b: 40 }, { a: 140, b: 40 }, { ...dense, dividesUnsearched: false });
    await refused.run();
    expect(refused.searched.map(servicesOf)).toContainEqual(['a']);
  });

  it('has the caller divide every such piece together, once the others are searched', async () => {
    const bucket = bucketOf(
      { a: 150, b: 150, c: 40 },
      { a: 140, b: 140, c: 40 },
      {
        erringThroughout: ['a', 'b'],
        dividesUnsearched: true,
        divisibleByTime: new Set([0, 1]),
        divideByTime: () => undefined,
      },
    );
    expect(await bucket.run()).toEqual([]);
    expect(bucket.searched.map(servicesOf)).toEqual([['c']]);
    expect(bucket.dividedUnsearched.map((windows) => windows.map(servicesOf))).toEqual([[['a'], ['b']]]);
  });

  it('gives a piece that saturates alone to the caller to divide by other means', async () => {
    const bucket = bucketOf({ a: 150, b: 20 }, { a: 50, b: 20 });
    expect(await bucket.run()).toEqual([]);
    expect(bucket.settled.find(({ window }) => servicesOf(window).join() === 'a')?.found).toBe(100);
    expect(bucket.settled.map(({ window }) => servicesOf(window).join()).sort()).toEqual(['a', 'b']);
  });

  it('lets pieces expected to hold nothing ride along with a search that has no room left under the limit', async () => {
    const bucket = bucketOf({ a: 60, b: 2, c: 1 }, { a: 75, b: 0, c: 0, d: 0 });
    expect(await bucket.run()).toEqual([]);
    expect(bucket.searched.map(servicesOf)).toEqual([['a', 'b', 'c', 'd']]);
  });

  it('searches pieces expected to hold nothing apart from a search expected to saturate, in one search', async () => {
    const bucket = bucketOf({ a: 60, b: 2, c: 1 }, { a: 120, b: 0, c: 0, d: 0 });
    expect(await bucket.run()).toEqual([]);
    expect(bucket.searched.map(servicesOf)).toEqual([['a'], ['b', 'c', 'd']]);
  });

  it('searches a bucket expected to fit in one search whole first', async () => {
    const bucket = bucketOf({ a: 30, b: 25, c: 30 }, { a: 30, b: 20, c: 20 }, { togetherFirst: true });
    expect(await bucket.run()).toEqual([]);
    expect(bucket.searched.map(servicesOf)).toEqual([['a', 'b', 'c']]);
  });

  it('divides a bucket searched whole first by the plan when that search saturates', async () => {
    const bucket = bucketOf({ a: 60, b: 50, c: 40 }, { a: 30, b: 25, c: 20 }, { togetherFirst: true });
    expect(await bucket.run()).toEqual([]);
    expect(bucket.searched[0]).toEqual(
      expect.objectContaining({ filter: { includeServices: ['a', 'b', 'c'] } }),
    );
    // The plan's sizes, scaled to the 120 issues the saturated search is taken to hold, need two searches.
    expect(bucket.searched).toHaveLength(3);
    expect(bucket.settled.every(({ found }) => found < 100)).toBe(true);
    expect(bucket.settled.reduce((sum, { found }) => sum + found, 0)).toBe(150);
  });

  it('splits a plan two searches hold evenly between them from the first search', async () => {
    const sizes = { a: 50, b: 45, c: 40, d: 30 };
    const bucket = bucketOf(sizes, sizes);
    expect(await bucket.run()).toEqual([]);
    // At the first search's usual 70: a, then b, then c and d, three searches for 165 issues.
    expect(bucket.searched.map(servicesOf)).toEqual([
      ['a', 'd'],
      ['b', 'c'],
    ]);
  });

  it('hands every piece left unsearched to the caller when the bucket runs out of searches', async () => {
    const sizes = { a: 60, b: 50, c: 40, d: 30, e: 45 };
    const bucket = bucketOf(sizes, sizes, { budget: 2 });
    expect(await bucket.run()).toEqual([]);
    expect(bucket.searched).toHaveLength(2);
    // Each piece is either searched or abandoned, never both and never neither.
    const searchedServices = bucket.searched.flatMap(servicesOf);
    const abandonedServices = bucket.abandoned.flatMap(servicesOf);
    expect([...searchedServices, ...abandonedServices].sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(abandonedServices.length).toBeGreaterThan(0);
  });

  it('searches pieces that time may have to divide last, in time windows when grown too big for one', async () => {
    const halves = (piece: number, expected: number) =>
      expected > 88 ? equalWindows(piece, 2, expected / 2) : undefined;
    // c, planned at 60, holds 90: with its prior, growth is 1.3, and a and b grow from 70 to 91 each.
    const bucket = bucketOf(
      { a: 105, b: 99, c: 90 },
      { a: 70, b: 70, c: 60 },
      { divisibleByTime: new Set([0, 1]), divideByTime: halves },
    );
    expect(await bucket.run()).toEqual([]);
    // c first, to measure the growth; then a and b, grown past one search, in halves.
    expect(bucket.searched.map((window) => [servicesOf(window).join(), window.to - window.from])).toEqual([
      ['c', HOUR],
      ['a', HOUR / 2],
      ['a', HOUR / 2],
      ['b', HOUR / 2],
      ['b', HOUR / 2],
    ]);
  });

  it('lets pieces divided by time share windows when that takes fewer searches', async () => {
    // Issues that err in several windows are found in each: k windows hold 1.2 / k of a piece each.
    const windowsOf = (piece: number, expected: number, windows?: number) => {
      const count = windows ?? Math.ceil((expected * 1.2) / 88);
      return expected > 88 ? equalWindows(piece, count, (expected * 1.2) / count) : undefined;
    };
    const bucket = bucketOf(
      { a: 90, b: 90, c: 30 },
      { a: 90, b: 90, c: 30 },
      { divisibleByTime: new Set([0, 1]), divideByTime: windowsOf },
    );
    expect(await bucket.run()).toEqual([]);
    // Alone, a and b would take two halves of 54 each; three windows of 36 each hold both, 72 a search.
    expect(bucket.searched.map((window) => [servicesOf(window).join(), window.to - window.from])).toEqual([
      ['c', HOUR],
      ['a,b', HOUR / 3],
      ['a,b', HOUR / 3],
      ['a,b', HOUR / 3],
    ]);
    expect(new Set(bucket.searched.slice(1).map((window) => window.from))).toEqual(
      new Set([0, HOUR / 3, (2 * HOUR) / 3]),
    );
  });

  it('searches a piece that time may have to divide whole when it did not grow', async () => {
    const never = () => {
      throw new Error('not divided');
    };
    const bucket = bucketOf(
      { a: 60, c: 30 },
      { a: 70, c: 30 },
      {
        divisibleByTime: new Set([0]),
        divideByTime: (_piece, expected) => (expected > 88 ? never() : undefined),
      },
    );
    expect(await bucket.run()).toEqual([]);
    expect(bucket.searched.map(servicesOf)).toEqual([['c'], ['a']]);
  });
});
