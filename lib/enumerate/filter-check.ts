import { DatadogApiError, oneLine } from '../datadog/errors';
import type { IssueAttributesWire, SearchResponseWire } from '../datadog/types';
import { describeFilter, type FacetClause, type SearchFilter } from './query';
import { clausesOf } from './split';

export type CheckedFacet = 'service' | 'error_type' | 'states';

const FACET_NAMES: Record<CheckedFacet, string> = {
  service: 'the service: term',
  error_type: 'the @error.type: term',
  states: 'the states field',
};

/**
 * A search returned an issue its own filter excludes: the API accepted a facet without applying it. Every
 * division of a window relies on its parts returning only what they name, so the export cannot go on
 * trusting that facet. It can do without error types and states (the engine stops naming them, as when the
 * API refuses them); without the service filter it stops rather than write totals it cannot vouch for.
 */
export class SearchFacetIgnoredError extends DatadogApiError {
  readonly facet: CheckedFacet;

  constructor(facet: CheckedFacet, issueId: string, value: string, filter: SearchFilter) {
    super(
      `The search API returned issue ${issueId} (${facet} ${oneLine(JSON.stringify(value), 80)}) to a ` +
        `search for ${oneLine(describeFilter(filter), 160)}: it does not apply ${FACET_NAMES[facet]}, which ` +
        'an exact export relies on. Check that DD_SITE or DD_API_URL points at the Datadog Error Tracking API.',
      { endpoint: 'POST /api/v2/error-tracking/issues/search', attempts: 1 },
    );
    this.facet = facet;
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
 * `SearchFacetIgnoredError` for the first contradiction, blaming error types when the issue matches
 * the filter's services.
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
      const servicesHold = clauses.some((clause) => clauseHolds(clause, attributes, false));
      const facet = servicesHold ? 'error_type' : 'service';
      const value = servicesHold ? attributes.error_type : attributes.service;
      throw new SearchFacetIgnoredError(facet, issueId, String(value), filter);
    }
    const state = attributes.state;
    if (filter.states && typeof state === 'string' && !filter.states.includes(state)) {
      throw new SearchFacetIgnoredError('states', issueId, state, filter);
    }
  }
}
