import { type IssueWire, SEARCH_RESULT_CAP, type SearchResponseWire, type Track } from '../datadog/types';
import type { BucketPlan, ExpectedWindow } from './density';
import { GrowthEstimate } from './growth';
import { isSaturated, packServices, type SearchWindow } from './split';

/**
 * The first packed search of a plan stays well below the cap, since how much busier the bucket is than
 * planned is not yet known...
 */
export const FIRST_SEARCH_LIMIT = 70;
/** ...and later ones closer to it, with expected counts scaled by the growth measured so far... */
export const LATER_SEARCH_LIMIT = 91;
/**
 * ...spreading what is left evenly over as few searches as that limit allows, with this much slack, so
 * that a bucket does not end with a nearly empty search and its other searches keep some headroom.
 */
const EVEN_SLACK = 5;
/**
 * How far below its plan a bucket may turn out. A plan made from the bucket before can be three times
 * too big, in the hour after a burst: bursty orgs of 200 and 400 issues made 1.777× → 1.747× and 1.815×
 * → 1.773× the lower bound (two sets of 20) with 0.25 instead of 0.6, and bigger orgs the same or less
 * (8-service orgs of 200–1,500 issues 1.587× → 1.578×, 12-service batches 1.445× → 1.444×). A plan made
 * from a sample of the bucket itself does better with 0.6: a one-day bucket of 2,000 bursty issues
 * took 39 searches so, 41 with 0.25.
 */
const LOWEST_GROWTH = { fromBucketBefore: 0.25, fromSample: 0.6 } as const;
/**
 * The first packed search's limit for a plan of this many issues: `FIRST_SEARCH_LIMIT`, or half the plan
 * when two searches at `LATER_SEARCH_LIMIT` hold it. At 70 the first search left more than one later
 * search could hold, so a bucket planned at 150–180 issues took three searches: uniform orgs of 500
 * issues over 12 services went 46 → 40 searches (3 seeds), 400-issue orgs over 8 services 385 → 380 and
 * 360 → 357 (two sets of 10 seeds, sparse and bursty); other shapes within 3 either way. Sizing every
 * first search to an even share of the fewest searches cost more than it saved (orgs of 3,000 issues 197
 * → 204; with 5 issues of slack, orgs of 200 and 800 issues 460 → 473).
 */
function firstSearchLimit(plannedIssues: number): number {
  if (Math.ceil(plannedIssues / LATER_SEARCH_LIMIT) !== 2) return FIRST_SEARCH_LIMIT;
  return Math.max(FIRST_SEARCH_LIMIT, plannedIssues / 2);
}
/** A saturated search shows 100 of the issues it matched; it is taken to have matched this many times more. */
export const SATURATED_MARGIN = 1.2;
/**
 * A piece erring throughout and expected to fill a search is divided without a search of it whole, which
 * would only saturate: a dense org of 3,000 issues over 12 services in daily buckets, 73 → 67 searches a
 * bucket after the first; dense orgs of 1,500 issues over 2 services 312 → 302 (two seeds). At 1.3 times
 * a search, 73 → 73; at 1.1, 68; at 0.9, 65 and 302 (not taken: fewer types would surely saturate).
 */
const SURELY_SATURATED = 1;
/** A piece in this many saturated searches gets a search of its own, so that a plan always ends. */
const SATURATIONS_BEFORE_ALONE = 3;

/** What searching a plan needs from the bucket's enumeration. */
export interface PlanSearchCallbacks {
  search(window: SearchWindow): Promise<SearchResponseWire>;
  /** Keeps a window's results: as they are when under the cap, else by dividing the window further. */
  settle(window: SearchWindow, response: SearchResponseWire): Promise<void>;
  issueOf(issueId: string): IssueWire | undefined;
  /** False when one more search would exceed the bucket's budget. */
  affordable(): boolean;
  /** Records a window left unsearched because the bucket's budget ran out. */
  abandon(window: SearchWindow): void;
  /**
   * Finds a saturated window's other issues by paging, keeping them all: how many there were, or
   * `undefined` when the window cannot be paged.
   */
  pageThrough?(window: SearchWindow, response: SearchResponseWire): Promise<number | undefined>;
  /**
   * Divides windows of the whole bucket without searching them whole first, as their saturated searches
   * would have been divided; false when that needs what the searches would show (or cannot be afforded),
   * so they are searched after all.
   */
  divideUnsearched?(windows: readonly SearchWindow[]): Promise<boolean>;
}

/**
 * Searches a bucket's plan. The fixed windows go first, together. The pieces are then packed one search at
 * a time, each packed just before it is made, with expected counts scaled by how much busier than planned
 * every search so far found the bucket: one bucket's counts predict the next one's only roughly, and each
 * search's result sizes the next better than any plan made up front. The pieces of a packed search that
 * saturates are packed again, sized by what it showed of each, with the pieces still to search, so an
 * underestimate costs about one search. Returns the searches' failures, once every search has finished.
 */
export async function searchPlan(plan: BucketPlan, callbacks: PlanSearchCallbacks): Promise<unknown[]> {
  const failures: unknown[] = [];
  const settling: Promise<void>[] = [];
  const keep = (work: Promise<void>) =>
    settling.push(
      work.catch((error: unknown) => {
        failures.push(error);
      }),
    );

  const growthEstimate = new GrowthEstimate(
    plan.fromSample ? LOWEST_GROWTH.fromSample : LOWEST_GROWTH.fromBucketBefore,
  );

  // A piece shown in a saturated search is sized by what it showed, at least.
  const shown = new Map<number, number>();
  const saturations = new Map<number, number>();
  const pending = new Set(plan.pieces.map((_, piece) => piece));
  const sizeOf = (piece: number, limit: number) =>
    (saturations.get(piece) ?? 0) >= SATURATIONS_BEFORE_ALONE
      ? limit
      : Math.max(shown.get(piece) ?? 0, plan.pieces[piece]! * growthEstimate.value);

  /** The issues a saturated search expected to hold `expected` matched at least, going by what it showed. */
  const matchedAtLeast = (response: SearchResponseWire, expected: number) => {
    const quietest = Math.min(...response.data.map((result) => result.attributes.total_count ?? 0));
    if (!plan.quieterShare || !Number.isFinite(quietest)) return SEARCH_RESULT_CAP;
    return SEARCH_RESULT_CAP + expected * plan.quieterShare(quietest);
  };

  const searchFixed = async (window: ExpectedWindow) => {
    const { expected, ...searched } = window;
    const response = await callbacks.search(searched);
    const found = response.data.length;
    if (isSaturated(found)) growthEstimate.observeSaturated(expected, matchedAtLeast(response, expected));
    else growthEstimate.observe(expected, found);
    keep(callbacks.settle(searched, response));
  };

  /** Searches packed pieces; `packed` is the size each was packed as. */
  const searchPieces = async (pieces: readonly number[], packed: readonly number[], window: SearchWindow) => {
    const response = await callbacks.search(window);
    const counts = countByPiece(plan, response, callbacks.issueOf, window.filter.track);
    // Pieces searched again after a saturated search count too: a burst shows first as saturated
    // searches, which bound growth only from below, and then as the counts of the pieces searched again.
    const expected = pieces.reduce((sum, piece) => sum + plan.pieces[piece]!, 0);
    const saturated = isSaturated(response.data.length);
    if (!saturated)
      growthEstimate.observe(
        expected,
        pieces.reduce((sum, piece) => sum + (counts.get(piece) ?? 0), 0),
      );
    if (!saturated || pieces.length === 1) {
      // A piece saturating alone is divided by the caller, but says as much about growth as any search.
      if (saturated) growthEstimate.observeSaturated(expected, matchedAtLeast(response, expected));
      keep(callbacks.settle(window, response));
      return;
    }
    // Paged, the search's pieces are found, and how many issues they held measures growth exactly.
    const paged = await callbacks.pageThrough?.(window, response);
    if (paged !== undefined) {
      growthEstimate.observe(expected, paged);
      return;
    }
    // The search held at least 100 issues, so every piece is likely bigger than it was packed as, even
    // one the search did not show, and at least as big as what it showed.
    const atLeast = matchedAtLeast(response, expected);
    const packedTotal = packed.reduce((sum, size) => sum + size, 0);
    const proven =
      packedTotal > 0
        ? Math.max(1, Math.max(SEARCH_RESULT_CAP * SATURATED_MARGIN, atLeast) / packedTotal)
        : 1;
    const sizes = pieces.map((piece, index) =>
      Math.max((counts.get(piece) ?? 0) * SATURATED_MARGIN, packed[index]! * proven),
    );
    growthEstimate.observeSaturated(expected, atLeast);
    pieces.forEach((piece, index) => {
      shown.set(piece, Math.max(shown.get(piece) ?? 0, sizes[index]!));
      saturations.set(piece, (saturations.get(piece) ?? 0) + 1);
      pending.add(piece);
    });
  };

  /**
   * Searches in time windows the pieces expected to saturate a search alone. Until some search has measured
   * the bucket's growth (when every piece is one to divide, say), the smallest piece goes first, alone, so
   * that what its windows found sizes the others' windows; then the rest go all at once.
   */
  const searchInTime = async (pieces: readonly number[]) => {
    const bySize = [...pieces].sort(
      (a, b) => sizeOf(a, Number.POSITIVE_INFINITY) - sizeOf(b, Number.POSITIVE_INFINITY) || a - b,
    );
    const searchWindows = async (group: readonly number[]) => {
      const searched: Promise<void>[] = [];
      const divided = new Map<number, readonly ExpectedWindow[]>();
      for (const piece of group) {
        const windows = plan.divideByTime?.(piece, sizeOf(piece, Number.POSITIVE_INFINITY));
        if (windows) divided.set(piece, windows);
      }
      for (const piece of divided.keys()) pending.delete(piece);
      const windows = shareTimeWindows(plan, divided, (piece) => sizeOf(piece, Number.POSITIVE_INFINITY));
      for (const window of windows) {
        if (callbacks.affordable()) searched.push(searchFixed(window));
        else callbacks.abandon(window);
      }
      for (const outcome of await Promise.allSettled(searched))
        if (outcome.status === 'rejected') failures.push(outcome.reason);
    };
    let next = 0;
    while (!growthEstimate.measured && next < bySize.length) await searchWindows([bySize[next++]!]);
    await searchWindows(bySize.slice(next));
  };

  const fixed = await Promise.allSettled(plan.fixed.map(searchFixed));
  for (const outcome of fixed) if (outcome.status === 'rejected') failures.push(outcome.reason);
  let limit = plan.togetherFirst
    ? Number.POSITIVE_INFINITY
    : plan.fixed.some((window) => window.expected > 0)
      ? LATER_SEARCH_LIMIT
      : firstSearchLimit(plan.pieces.reduce((sum, issues) => sum + issues, 0));
  const divisible = plan.divisibleByTime ?? new Set<number>();
  let dividedByTime = false;
  let dividedUnsearched = false;
  while (pending.size > 0 && failures.length === 0) {
    const ready = [...pending].filter((piece) => !divisible.has(piece));
    if (ready.length === 0 && !dividedByTime) {
      dividedByTime = true;
      await searchInTime([...pending]);
      if (pending.size === 0 || failures.length > 0) break;
    }
    if (ready.length === 0 && !dividedUnsearched && callbacks.divideUnsearched) {
      dividedUnsearched = true;
      // Pieces whose issues err throughout, expected to fill a search: searched whole, each would only
      // saturate. They are divided together, last, once the bucket's growth is known.
      const windows = new Map<number, SearchWindow>();
      for (const piece of pending) {
        const window = plan.windowOf([piece]);
        if (window.timeDense && sizeOf(piece, limit) >= SEARCH_RESULT_CAP * SURELY_SATURATED)
          windows.set(piece, window);
      }
      try {
        if (windows.size > 0 && (await callbacks.divideUnsearched([...windows.values()])))
          for (const piece of windows.keys()) pending.delete(piece);
      } catch (error) {
        failures.push(error);
      }
      if (pending.size === 0 || failures.length > 0) break;
    }
    const packable = ready.length > 0 ? ready : [...pending];
    const groups = packByClass(plan, packable, (piece) => sizeOf(piece, limit), limit);
    const next = groups[0]!;
    if (!callbacks.affordable()) {
      for (const group of groups) callbacks.abandon(plan.windowOf(group));
      break;
    }
    for (const piece of next) pending.delete(piece);
    try {
      await searchPieces(
        next,
        next.map((piece) => sizeOf(piece, limit)),
        plan.windowOf(next),
      );
    } catch (error) {
      failures.push(error);
    }
    limit = LATER_SEARCH_LIMIT;
  }
  await Promise.all(settling);
  return failures;
}

/** Pieces by class (see `BucketPlan.classes`), in the order given: only pieces of one class share a search. */
export function piecesByClass(
  plan: Pick<BucketPlan, 'classes'>,
  pieces: Iterable<number>,
): Map<string, number[]> {
  const byClass = new Map<string, number[]>();
  for (const piece of pieces) {
    const pieceClass = plan.classes?.[piece] ?? '';
    const ofClass = byClass.get(pieceClass);
    if (ofClass) ofClass.push(piece);
    else byClass.set(pieceClass, [piece]);
  }
  return byClass;
}

/**
 * Packs pieces into searches, each class apart (see `BucketPlan.classes`), spreading each class's pieces
 * evenly over as few searches as the limit allows. The fullest search comes first: the small pieces left
 * are packed best once growth is known.
 */
function packByClass(
  plan: BucketPlan,
  packable: readonly number[],
  sizeOf: (piece: number) => number,
  limit: number,
): number[][] {
  const byClass = piecesByClass(plan, packable);
  const groups: Array<{ pieces: number[]; load: number }> = [];
  for (const pieces of byClass.values()) {
    const sizes = new Map(pieces.map((piece) => [String(piece), sizeOf(piece)]));
    const left = [...sizes.values()].reduce((sum, size) => sum + size, 0);
    // Pieces expected to hold nothing (a remainder, say) still need one search between them.
    const searchesNeeded = Math.max(1, Math.ceil(left / limit));
    const evenLimit =
      limit === LATER_SEARCH_LIMIT ? Math.min(limit, left / searchesNeeded + EVEN_SLACK) : limit;
    for (const group of packServices(sizes, evenLimit)) {
      const members = group.map(Number);
      groups.push({
        pieces: members,
        load: members.reduce((sum, piece) => sum + sizes.get(String(piece))!, 0),
      });
    }
  }
  if (byClass.size > 1) groups.sort((a, b) => b.load - a.load);
  return groups.map((group) => group.pieces);
}

function countByPiece(
  plan: BucketPlan,
  response: SearchResponseWire,
  issueOf: (issueId: string) => IssueWire | undefined,
  track: Track | undefined,
): Map<number, number> {
  const counts = new Map<number, number>();
  for (const result of response.data) {
    const attributes = issueOf(result.id)?.attributes;
    const piece = plan.pieceOf(attributes?.service, attributes?.error_type, attributes?.state, track);
    if (piece !== undefined) counts.set(piece, (counts.get(piece) ?? 0) + 1);
  }
  return counts;
}

/** As many windows as a division by time makes of one piece (beyond, it says the piece cannot be divided). */
const MOST_SHARED_WINDOWS = 16;

/**
 * Pieces divided by time searched in the same windows, packed together: two error types each expected
 * at 90 issues take two half-hour windows apiece, four searches of about 50, where three windows shared
 * by both (about 35 each, 70 a search) take three. For each count of windows, the pieces whose windows
 * would hold at most half a search could share them; the count that saves the most searches against
 * dividing each piece alone is kept, and the other pieces are divided alone. Pieces of different
 * classes never share a window.
 */
function shareTimeWindows(
  plan: BucketPlan,
  divided: ReadonlyMap<number, readonly ExpectedWindow[]>,
  sizeOf: (piece: number) => number,
): ExpectedWindow[] {
  const windows: ExpectedWindow[] = [];
  for (const pieces of piecesByClass(plan, divided.keys()).values()) {
    let best:
      | { saving: number; groups: number[][]; divisions: Map<number, readonly ExpectedWindow[]> }
      | undefined;
    for (let count = 2; count <= MOST_SHARED_WINDOWS; count++) {
      const divisions = new Map<number, readonly ExpectedWindow[]>();
      for (const piece of pieces) {
        const division = plan.divideByTime?.(piece, sizeOf(piece), count);
        if (division?.length === count && division[0]!.expected <= LATER_SEARCH_LIMIT / 2)
          divisions.set(piece, division);
      }
      if (divisions.size < 2) continue;
      const groups = packServices(
        new Map([...divisions].map(([piece, division]) => [String(piece), division[0]!.expected])),
        LATER_SEARCH_LIMIT,
      ).map((group) => group.map(Number));
      const alone = [...divisions.keys()].reduce((sum, piece) => sum + divided.get(piece)!.length, 0);
      const saving = alone - count * groups.length;
      if (saving > (best?.saving ?? 0)) best = { saving, groups, divisions };
    }
    for (const piece of pieces) if (!best?.divisions.has(piece)) windows.push(...divided.get(piece)!);
    if (!best) continue;
    for (const group of best.groups) {
      const members = group.map((piece) => best!.divisions.get(piece)!);
      const filter = group.length === 1 ? members[0]![0]!.filter : plan.windowOf(group).filter;
      members[0]!.forEach((window, index) => {
        windows.push({
          from: window.from,
          to: window.to,
          filter,
          expected: members.reduce((sum, division) => sum + division[index]!.expected, 0),
        });
      });
    }
  }
  return windows;
}
