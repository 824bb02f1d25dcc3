import type { IssueWire, SearchResponseWire, SearchResultWire } from '../datadog/types';
import type { Bucket } from './buckets';
import {
  type ErrorTypeObservation,
  MAX_NAMED_ERROR_TYPES,
  mergeObservations,
  type Sample,
  sampleOf,
  scaleSample,
  splitSample,
  splitShown,
} from './error-type-plan';
import { SATURATED_MARGIN } from './search-plan';
import { isSaturated, type SearchWindow } from './split';

/**
 * A bucket with nothing to plan from searches ever quieter services until one search comes back under the
 * cap, at most this many times: each saturated search costs one, but sizes the plan of the level above.
 */
const DISCOVERY_LEVELS = 3;
/** An issue shown with more than this many times the errors of the quietest issue shown is loud. */
const LOUD_ISSUE_FACTOR = 4;

/** What discovery needs from the bucket's enumeration. */
export interface DiscoveryCallbacks {
  /** Searches a window of the bucket; its results are the enumeration's to settle, not discovery's. */
  search(window: SearchWindow): Promise<SearchResponseWire>;
  issueOf(issueId: string): IssueWire | undefined;
  /** How many services a remainder may exclude, now. */
  maxExcludedServices(): number;
  /** Counts a division discovery made, for the run's splits by kind. */
  countSplit(kind: 'service' | 'error_type'): void;
  /**
   * Pages the saturated first search through, keeping the bucket's issues, if a page finds them all (see
   * `pageThrough` in `enumerate.ts`): how many there were, or `undefined` when the bucket is to be sampled.
   */
  pageThrough?(window: SearchWindow, response: SearchResponseWire): Promise<number | undefined>;
}

/** What discovery found: the bucket itself, or a sample to plan the bucket from. */
export type Discovery =
  | {
      /** The first search's pages found every issue of the bucket, already kept. */
      readonly kind: 'paged';
    }
  | {
      /** The first search is the bucket's: under the cap, or nothing it showed divides it. */
      readonly kind: 'searched';
      readonly window: SearchWindow;
      readonly response: SearchResponseWire;
    }
  | {
      readonly kind: 'sampled';
      /** The bucket's services (and error types) as the searches showed them, scaled to the issues behind. */
      readonly observation: ErrorTypeObservation;
      /** The deepest search, of everything the plan leaves out unless it saturated. */
      readonly tail: SearchWindow;
      readonly tailResponse: SearchResponseWire;
      /** Whether the deepest search saturated: then its services are planned too, with a remainder. */
      readonly deepestSaturated: boolean;
      /** Services whose issues the tail already searched apart from the error types the plan names. */
      readonly restSearched: ReadonlySet<string>;
      /** Whether the tail names error types, so the bucket cannot be planned by service from this sample. */
      readonly typed: boolean;
    };

/**
 * A bucket with nothing to plan from: a saturated first search, plus a search of the services it showed
 * least, sizes a plan for the rest (see `splitSample`), instead of dividing blindly level by level. When
 * that second search saturates too, the services it showed least are searched the same way, a level
 * deeper, up to `DISCOVERY_LEVELS` searches of ever quieter services: each level's count scales what the
 * level above showed, and every level's services are planned together, in one plan. An issue shown far
 * louder than the quietest one shown stands for itself alone: the issues a search did not show are all
 * at most as loud as the quietest it did, so a loud issue says little about how many hide behind it.
 */
export async function discoverBucket(bucket: Bucket, callbacks: DiscoveryCallbacks): Promise<Discovery> {
  const window: SearchWindow = { from: bucket.start, to: bucket.end, filter: {} };
  const first = await callbacks.search(window);
  if (isSaturated(first.data.length) && (await callbacks.pageThrough?.(window, first)) !== undefined)
    return { kind: 'paged' };
  const issue = (issueId: string) => callbacks.issueOf(issueId)?.attributes;
  const sampleOfResponse = (response: SearchResponseWire) =>
    sampleOf(
      response.data.map((result) => result.id),
      (issueId) => issue(issueId)?.service,
      (issueId) => issue(issueId)?.error_type,
    );
  const unnamed = (response: SearchResponseWire) =>
    response.data.filter((result) => !issue(result.id)?.service).length;
  /** Whether an issue a saturated search showed erred far more often than the quietest one it showed. */
  const loudIn = (response: SearchResponseWire) => {
    const countOf = (result: SearchResultWire) => result.attributes.total_count ?? 0;
    const quietest = Math.min(...response.data.map(countOf));
    // Without counts to compare (the API always sends them), no issue is taken to be loud.
    return (result: SearchResultWire) => quietest > 0 && countOf(result) > LOUD_ISSUE_FACTOR * quietest;
  };
  const loudByService = (response: SearchResponseWire) => {
    const isLoud = loudIn(response);
    const loud = new Map<string, number>();
    for (const result of response.data) {
      const service = issue(result.id)?.service;
      if (service && isLoud(result)) loud.set(service, (loud.get(service) ?? 0) + 1);
    }
    return loud;
  };
  /**
   * A saturated search that showed one service: its least shown error types (with every issue of it
   * without a type, and every service the search did not show) are searched apart, and what that
   * finds for each one shown scales the types shown most. `undefined` when that cannot be done or the
   * search saturates too.
   */
  const byErrorType = async (level: SearchResponseWire, levelSample: Sample, excluded: string[]) => {
    const [only] = [...levelSample];
    if (!only || levelSample.size !== 1) return undefined;
    const [service, counts] = only;
    const split = splitShown(counts.byType, true);
    if (!split || split.head.length > MAX_NAMED_ERROR_TYPES) return undefined;
    const tailSeen = split.tailSeen + counts.untyped + unnamed(level);
    const window: SearchWindow = {
      from: bucket.start,
      to: bucket.end,
      filter: {
        anyOf: [
          { excludeServices: [...excluded, service] },
          { includeServices: [service], excludeErrorTypes: split.head },
        ],
      },
    };
    const found = await callbacks.search(window);
    callbacks.countSplit('error_type');
    if (isSaturated(found.data.length)) return undefined;
    const scale = Math.max(1, found.data.length / tailSeen);
    const isLoud = loudIn(level);
    const byType = new Map<string, number>();
    for (const result of level.data) {
      const errorType = issue(result.id)?.error_type;
      if (!errorType || !split.head.includes(errorType)) continue;
      byType.set(errorType, (byType.get(errorType) ?? 0) + (isLoud(result) ? 1 : scale));
    }
    const total = [...byType.values()].reduce((sum, issues) => sum + issues, 0);
    const observation: ErrorTypeObservation = {
      services: new Map([[service, { total, byType, untyped: 0, newTypes: 0 }]]),
      withoutService: 0,
      totalIssues: total,
    };
    return { window, found, observation, service };
  };
  // Each saturated level: what it showed, and which of its services the level below leaves out.
  const levels: Array<{
    sample: Sample;
    loud: Map<string, number>;
    head: string[];
    tailSeen: number;
    /** The search of everything the level leaves out, once made. */
    below?: SearchResponseWire;
  }> = [];
  let response = first;
  let sample = sampleOfResponse(first);
  // With a few busy services, every one shown often, the one shown least is still left to the tail:
  // a plan sized from it, even underestimated, costs fewer searches than halving blindly.
  let split = isSaturated(first.data.length) ? (splitSample(sample) ?? splitSample(sample, true)) : undefined;
  // A first search that showed a single service is divided by its error types instead.
  let typed = split || !isSaturated(first.data.length) ? undefined : await byErrorType(first, sample, []);
  if (!split && !typed) return { kind: 'searched', window, response: first };
  const named: string[] = [];
  let tail: SearchWindow = window;
  // A tail excludes every service named above it, no more than a remainder may.
  while (
    split &&
    levels.length < DISCOVERY_LEVELS &&
    named.length + split.head.length <= callbacks.maxExcludedServices()
  ) {
    // Issues without a service are never named, so the search of the tail finds them again.
    levels.push({
      sample,
      loud: loudByService(response),
      ...split,
      tailSeen: split.tailSeen + unnamed(response),
    });
    named.push(...split.head);
    tail = { ...window, filter: { excludeServices: [...named] } };
    response = await callbacks.search(tail);
    levels[levels.length - 1]!.below = response;
    callbacks.countSplit('service');
    if (!isSaturated(response.data.length)) break;
    sample = sampleOfResponse(response);
    split = splitSample(sample, true);
  }
  // The deepest search saturated with a single service: its error types go one level deeper.
  if (!split && !typed && isSaturated(response.data.length))
    typed = await byErrorType(response, sample, named);
  if (typed) {
    tail = typed.window;
    response = typed.found;
  }
  const deepestSaturated = isSaturated(response.data.length);
  // From the deepest level up: the issues behind each level's search, and its head's scale.
  let tailIssues = deepestSaturated
    ? response.data.length * SATURATED_MARGIN
    : response.data.length + (typed?.observation.totalIssues ?? 0);
  let observation: ErrorTypeObservation | undefined = typed?.observation;
  if (deepestSaturated) {
    // The deepest search's own services, too, are planned from what it showed.
    observation = scaleSample(sample, [...sample.keys()], SATURATED_MARGIN);
  }
  for (const level of [...levels].reverse()) {
    // The search below also finds services this level never showed: only the share of it that the
    // level's tail showed scales what the level showed of the others.
    const headServices = new Set(level.head);
    const below = level.below?.data ?? [];
    const shownBelow = below.filter((result) => {
      const service = issue(result.id)?.service;
      return !service || (level.sample.has(service) && !headServices.has(service));
    }).length;
    const share = below.length > 0 ? shownBelow / below.length : 1;
    const scale = Math.max(1, (tailIssues * share) / level.tailSeen);
    for (const service of level.head) {
      const shown = level.sample.get(service)?.total ?? 0;
      const loud = Math.min(shown, level.loud.get(service) ?? 0);
      if (shown === 0) continue;
      const head = scaleSample(level.sample, [service], (loud + scale * (shown - loud)) / shown);
      observation = observation ? mergeObservations(head, observation) : head;
      tailIssues += head.totalIssues;
    }
  }
  return {
    kind: 'sampled',
    observation: observation!,
    tail,
    tailResponse: response,
    deepestSaturated,
    // The service divided by error type had the rest of its issues searched with the tail.
    restSearched: new Set(typed ? [typed.service] : []),
    typed: typed !== undefined,
  };
}
