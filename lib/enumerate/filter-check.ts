import { DatadogApiError, oneLine } from '../datadog/errors';
import {
  type IssueAttributesWire,
  type SearchResponseWire,
  type SearchResultWire,
  TRACKS,
  type Track,
} from '../datadog/types';
import { describeFilter, type FacetClause, type SearchFilter } from './query';
import { clausesOf, isSaturated, mentionsErrorTypes, namesErrorTypes } from './split';

export type CheckedFacet = 'service' | 'error_type' | 'states';

const FACET_NAMES: Record<CheckedFacet, string> = {
  service: 'the service: term',
  error_type: 'the @error.type: term',
  states: 'the states field',
};

const CHECK_THE_API = 'Check that DD_SITE or DD_API_URL points at the Datadog Error Tracking API.';

/**
 * A search returned an issue its own filter excludes, or left out one it names: the API accepted a facet
 * without applying it as the event-search syntax says. Every division of a window relies on its parts
 * returning exactly what they name, so the export cannot go on trusting that facet. It can do without
 * error types and states (the engine stops naming them, as when the API refuses them); without the
 * service filter it stops rather than write totals it cannot vouch for.
 */
export class SearchFacetMisappliedError extends DatadogApiError {
  readonly facet: CheckedFacet;
  /** Whether the search returned an issue outside its filter, or left out one the filter names. */
  readonly finding: 'outside' | 'missing';

  constructor(facet: CheckedFacet, finding: 'outside' | 'missing', message: string) {
    super(
      `${message}: it does not apply ${FACET_NAMES[facet]}, which an exact export relies on. ${CHECK_THE_API}`,
      {
        endpoint: 'POST /api/v2/error-tracking/issues/search',
        attempts: 1,
      },
    );
    this.facet = facet;
    this.finding = finding;
  }

  static resultOutside(facet: CheckedFacet, issueId: string, value: string, filter: SearchFilter) {
    return new SearchFacetMisappliedError(
      facet,
      'outside',
      `The search API returned issue ${issueId} (${facet} ${oneLine(JSON.stringify(value), 80)}) to a ` +
        `search for ${oneLine(describeFilter(filter), 160)}`,
    );
  }

  static resultMissing(facet: CheckedFacet, issueId: string, filter: SearchFilter) {
    return new SearchFacetMisappliedError(
      facet,
      'missing',
      `The search API left out issue ${issueId}, which an earlier search of the same hours returned and ` +
        `which matches it, from a search for ${oneLine(describeFilter(filter), 160)} under the result cap`,
    );
  }
}

function sameValue(left: string, right: string): boolean {
  return left.toLowerCase() === right.toLowerCase();
}

/** An unknown value (attribute missing) never counts against a term: only a contradiction does. */
function termHolds(
  value: string | undefined,
  include: readonly string[] | undefined,
  exclude: readonly string[] | undefined,
): boolean {
  if (value === undefined) return true;
  if (include && !include.some((named) => sameValue(named, value))) return false;
  return !exclude?.some((named) => sameValue(named, value));
}

function clauseHolds(clause: FacetClause, attributes: IssueAttributesWire, withErrorTypes: boolean): boolean {
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return (
    termHolds(text(attributes.service), clause.includeServices, clause.excludeServices) &&
    (!withErrorTypes ||
      termHolds(text(attributes.error_type), clause.includeErrorTypes, clause.excludeErrorTypes))
  );
}

/**
 * Checks every result of a search against the filter it was searched with, using the issue objects the
 * same response included (an issue whose object is missing cannot be checked, and is not). Throws
 * `SearchFacetMisappliedError` for the first contradiction, blaming error types when the issue matches
 * the filter's services or the filter names error types at all.
 */
export function checkResultsMatchFilter(filter: SearchFilter, response: SearchResponseWire): void {
  const clauses = clausesOf(filter);
  const namesFacets = clauses.some((clause) => Object.keys(clause).length > 0);
  if (!namesFacets && !filter.states) return;
  const issues = new Map<string, IssueAttributesWire>();
  for (const included of response.included ?? []) {
    if (included.type === 'issue')
      issues.set(included.id, (included as { attributes: IssueAttributesWire }).attributes);
  }
  for (const result of response.data) {
    const issueId = result.relationships?.issue?.data?.id ?? result.id;
    const attributes = issues.get(issueId);
    if (!attributes) continue;
    if (!clauses.some((clause) => clauseHolds(clause, attributes, true))) {
      // A query naming error types that the API read wrongly as a whole (an unknown term voiding it, say)
      // fails its service terms too: the run can do without error types, so they take the blame first,
      // and a search naming services alone then proves or convicts the service term.
      const servicesHold =
        mentionsErrorTypes(filter) || clauses.some((clause) => clauseHolds(clause, attributes, false));
      const facet = servicesHold ? 'error_type' : 'service';
      const value = servicesHold ? attributes.error_type : attributes.service;
      throw SearchFacetMisappliedError.resultOutside(facet, issueId, String(value), filter);
    }
    const state = attributes.state;
    if (filter.states && typeof state === 'string' && !filter.states.includes(state)) {
      throw SearchFacetMisappliedError.resultOutside('states', issueId, state, filter);
    }
  }
}

/**
 * Whether an issue surely matches a term, whatever the API's case rules: an include needs the exact
 * value, an exclude must miss it in any case. An issue without the attribute matches excludes only, as
 * `-service:x` matches events without a service (what a remainder query relies on).
 */
function termSurelyHolds(
  value: string | undefined,
  include: readonly string[] | undefined,
  exclude: readonly string[] | undefined,
): boolean {
  if (include && (value === undefined || !include.includes(value))) return false;
  return value === undefined || !exclude?.some((named) => sameValue(named, value));
}

/** A test of whether an issue surely matches the filter (see `termSurelyHolds`), made once per search. */
function surelyMatching(filter: SearchFilter): (attributes: IssueAttributesWire) => boolean {
  const clauses = clausesOf(filter);
  const { states } = filter;
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  return (attributes) => {
    const service = text(attributes.service);
    const errorType = text(attributes.error_type);
    const clauseHolds = (clause: FacetClause) =>
      termSurelyHolds(service, clause.includeServices, clause.excludeServices) &&
      termSurelyHolds(errorType, clause.includeErrorTypes, clause.excludeErrorTypes);
    if (!clauses.some(clauseHolds)) return false;
    return !states || (typeof attributes.state === 'string' && states.includes(attributes.state));
  };
}

/**
 * The facets a search proves it applies by returning an issue it names: error types through a clause
 * naming them, states whenever it named them.
 */
function provingBy(filter: SearchFilter): (attributes: IssueAttributesWire) => CheckedFacet[] {
  const states = filter.states ? { states: filter.states } : {};
  const typedClauses = clausesOf(filter)
    .filter(namesErrorTypes)
    .map((clause) => surelyMatching({ ...clause, ...states }));
  return (attributes) => {
    const proven: CheckedFacet[] = [];
    if (typedClauses.some((matches) => matches(attributes))) proven.push('error_type');
    if (filter.states) proven.push('states');
    return proven;
  };
}

/**
 * The facet to blame for a search that failed while naming these: the least established one it named,
 * that is one no search of the run has proved yet, error types before states; the service filter only
 * when it named nothing else.
 */
export function suspectFacet(filter: SearchFilter, proven: ReadonlySet<CheckedFacet>): CheckedFacet {
  const named: CheckedFacet[] = [];
  if (mentionsErrorTypes(filter)) named.push('error_type');
  if (filter.states) named.push('states');
  return named.find((facet) => !proven.has(facet)) ?? named[0] ?? 'service';
}

/** One search of the bucket: its window and track, and the issues it returned. */
interface Sighting {
  readonly from: number;
  readonly to: number;
  readonly track: Track | undefined;
  readonly results: readonly SearchResultWire[];
}

/**
 * The issues a bucket's searches returned, and in which window and track. An issue returned for a window
 * erred in it, so any later search under the cap whose window holds that one, in the same track or in
 * all of them, and whose filter the issue matches, must return it too. One that does not shows the API
 * reading a facet differently from the event-search syntax (a parser that lets an unknown term match
 * nothing, say): results outside the filter catch an API that matches too much, this catches one that
 * matches too little, which would otherwise lose issues without a trace.
 */
export class BucketSightings {
  private readonly sightings: Sighting[] = [];

  /** Whether no search of the bucket has returned anything yet, so there is nothing to check against. */
  get empty(): boolean {
    return !this.sightings.some((sighting) => sighting.results.length > 0);
  }

  /**
   * Checks a response against what earlier searches saw, then records what it saw. Returns the facets the
   * response proved it applies as named: those of a filter that returned an issue it was expected to.
   */
  observe(
    search: { readonly from: number; readonly to: number; readonly filter: SearchFilter },
    track: Track | undefined,
    response: SearchResponseWire,
    attributesOf: (issueId: string) => IssueAttributesWire | undefined,
    /** Facets already proved, which a missing issue is not blamed on while another is in doubt. */
    provenBefore: ReadonlySet<CheckedFacet> = new Set(),
  ): Set<CheckedFacet> {
    const proven = isSaturated(response.data.length)
      ? new Set<CheckedFacet>()
      : this.checkComplete(search, track, response, attributesOf, provenBefore);
    // The response's own results, kept as they are: no copy per issue.
    this.sightings.push({ from: search.from, to: search.to, track, results: response.data });
    return proven;
  }

  private checkComplete(
    search: { readonly from: number; readonly to: number; readonly filter: SearchFilter },
    track: Track | undefined,
    response: SearchResponseWire,
    attributesOf: (issueId: string) => IssueAttributesWire | undefined,
    provenBefore: ReadonlySet<CheckedFacet>,
  ): Set<CheckedFacet> {
    const returned = new Set(response.data.map((result) => result.id));
    // A page leaves out the issues its window's searches already returned.
    const excluded = new Set(search.filter.excludeIssues ?? []);
    const matches = surelyMatching(search.filter);
    const proving = provingBy(search.filter);
    const proven = new Set<CheckedFacet>();
    for (const sighting of this.sightings) {
      const within =
        search.from <= sighting.from &&
        sighting.to <= search.to &&
        (track === undefined || sighting.track === track);
      if (!within) continue;
      for (const { id: issueId } of sighting.results) {
        const attributes = attributesOf(issueId);
        if (!attributes || excluded.has(issueId) || !matches(attributes)) continue;
        if (!returned.has(issueId))
          throw SearchFacetMisappliedError.resultMissing(
            suspectFacet(search.filter, provenBefore),
            issueId,
            search.filter,
          );
        for (const facet of proving(attributes)) proven.add(facet);
      }
    }
    return proven;
  }
}

/**
 * A window was divided by track, but an issue it showed is in none of the parts: the org has issues in a
 * track newer than `trace`, `logs` and `rum`, which persona `ALL` finds and no search by track does.
 */
export class UnknownTrackError extends Error {
  constructor(readonly issueId: string) {
    super(`issue ${issueId} is in none of the tracks ${TRACKS.join(', ')}`);
  }
}

/**
 * The first issue a saturated window showed that none of its track parts returned although it would have
 * ranked among any part's results: a part holds a subset of the window's issues, so an issue among the
 * window's loudest 100 is among its part's loudest 100 too, unless that part saturated with issues at
 * least as loud. `undefined` when every issue shown is in a part.
 */
export function shownInNoTrack(
  shown: readonly SearchResultWire[],
  parts: readonly SearchResponseWire[],
): string | undefined {
  const errorsOf = (result: SearchResultWire) => result.attributes.total_count ?? 0;
  const returned = new Set(parts.flatMap((part) => part.data.map((result) => result.id)));
  // Ties at a saturated part's quietest issue are ranked any way; only louder issues surely make its cut.
  const hiddenUpTo = Math.max(
    Number.NEGATIVE_INFINITY,
    ...parts
      .filter((part) => isSaturated(part.data.length))
      .map((part) => Math.min(...part.data.map(errorsOf))),
  );
  return shown.find((result) => !returned.has(result.id) && errorsOf(result) > hiddenUpTo)?.id;
}
