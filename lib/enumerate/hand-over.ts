import type { IssueWire, SearchResultWire } from '../datadog/types';
import type { Bucket } from './buckets';
import type { ExpectedWindow } from './density';
import type { FacetClause } from './query';
import { clausesOf, matchesPerClause, packServices, type SearchWindow, withClauses } from './split';

/** A saturated packed search keeps clauses holding about this many of its results... */
const HAND_OVER_KEEP = 80;
/** ...and what it hands over is packed, with the held-back search, into searches of about this many. */
const HAND_OVER_LIMIT = 88;
/** A saturated search shows 100 of its issues; the clauses handed over hold somewhat more than shown. */
const HAND_OVER_MARGIN = 1.2;

/** Clauses a saturated planned search gave up, with the issues they are expected to hold. */
export interface HandedOver {
  readonly clauses: readonly FacetClause[];
  readonly expected: number;
}

/**
 * A planned search of the whole bucket that came back saturated keeps the clauses that most of its results
 * matched, up to about 80, and hands the others over, to be searched after the plan together with the
 * plan's held-back search: an underestimated search then costs about one more search, shared with others,
 * rather than two of its own. `undefined` when the search cannot be divided this way (one clause, a time
 * window, a track or state).
 */
export function handOver(
  window: SearchWindow,
  results: readonly SearchResultWire[],
  bucket: Bucket,
  issueOf: (issueId: string) => IssueWire | undefined,
): { kept: SearchWindow; handed: HandedOver } | undefined {
  // Services packed whole into one clause can be handed over one by one.
  const clauses = clausesOf(window.filter).flatMap((clause) =>
    clause.includeServices && !clause.includeErrorTypes && !clause.excludeErrorTypes
      ? clause.includeServices.map((service) => ({ includeServices: [service] }))
      : [clause],
  );
  const wholeBucket = window.from === bucket.start && window.to === bucket.end;
  const facetsOnly = !window.filter.track && !window.filter.states;
  if (clauses.length < 2 || !wholeBucket || !facetsOnly) return undefined;
  const matched = matchesPerClause(
    clauses,
    results,
    (issueId) => issueOf(issueId)?.attributes.service,
    (issueId) => issueOf(issueId)?.attributes.error_type,
  );
  const order = clauses.map((_, index) => index).sort((a, b) => matched[b]! - matched[a]!);
  const keep: number[] = [];
  let kept = 0;
  for (const index of order) {
    if (keep.length > 0 && kept + matched[index]! > HAND_OVER_KEEP) continue;
    keep.push(index);
    kept += matched[index]!;
  }
  const handed = order.filter((index) => !keep.includes(index));
  if (handed.length === 0) return undefined;
  return {
    kept: {
      ...window,
      filter: withClauses(
        window.filter,
        keep.map((index) => clauses[index]!),
      ),
    },
    handed: {
      clauses: handed.map((index) => clauses[index]!),
      expected: handed.reduce((sum, index) => sum + matched[index]!, 0) * HAND_OVER_MARGIN,
    },
  };
}

/** The held-back search and the clauses handed over, packed into searches expected to stay under the cap. */
export function packHandedOver(
  bucket: Bucket,
  held: ExpectedWindow | undefined,
  handedOver: readonly HandedOver[] = [],
): SearchWindow[] {
  const parts = [
    ...(held ? [{ clauses: clausesOf(held.filter), expected: held.expected }] : []),
    ...handedOver,
  ];
  const groups = packServices(
    new Map(parts.map((part, index) => [String(index), part.expected])),
    HAND_OVER_LIMIT,
  );
  return groups.map((group) => ({
    from: bucket.start,
    to: bucket.end,
    filter: withClauses(
      {},
      group.flatMap((index) => parts[Number(index)]!.clauses),
    ),
  }));
}
