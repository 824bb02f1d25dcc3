import type { Track } from '../datadog/types';

/** Service and error-type terms that all hold at once. */
export interface FacetClause {
  readonly includeServices?: readonly string[];
  readonly excludeServices?: readonly string[];
  readonly includeErrorTypes?: readonly string[];
  readonly excludeErrorTypes?: readonly string[];
}

/**
 * Facet constraints the enumeration engine adds to the user's query to partition a saturated window.
 * A filter names services to include or to exclude, never both: a part of a remainder query only names
 * services the remainder has not excluded, so an include list alone already implies the exclusion.
 */
export interface SearchFilter extends FacetClause {
  /** Set only when the scope searches persona ALL, whose events the three tracks partition. */
  readonly track?: Track;
  readonly states?: readonly string[];
  /**
   * Error types to include or exclude, the same way as services. The last facet for issues that error
   * continuously in one service and track, where time splitting cannot get a window under the cap.
   */
  readonly includeErrorTypes?: readonly string[];
  readonly excludeErrorTypes?: readonly string[];
  /**
   * Disjoint clauses, any of which an issue may match, in place of the single clause above: how a plan
   * packs small services together with parts of a busy service into one search.
   */
  readonly anyOf?: readonly FacetClause[];
  /**
   * Issues a page of a saturated window leaves out: the ones its searches already returned (see
   * `pageThrough` in `enumerate.ts`). Holds with every clause.
   */
  readonly excludeIssues?: readonly string[];
}

/** Event-search syntax quoting: always quote, so odd names (spaces, `=`, `/`, parentheses) stay one value. */
export function quoteSearchValue(value: string): string {
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/** Letters, digits, `_`, `.` and inner `-`: a value that reads the same bare in any search syntax. */
const BARE_VALUE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'TO']);

/**
 * A value as a query term takes it: bare when it is a plain word, the form Datadog's own examples use
 * (`service:(web OR api)`), else quoted so odd names stay one value.
 */
export function searchValue(value: string): string {
  return BARE_VALUE.test(value) && !KEYWORDS.has(value.toUpperCase()) ? value : quoteSearchValue(value);
}

function valueList(values: readonly string[]): string {
  return values.length === 1 ? searchValue(values[0]!) : `(${values.map(searchValue).join(' OR ')})`;
}

function namesOnlyServices(clause: FacetClause): boolean {
  return !clause.includeErrorTypes?.length && !clause.excludeErrorTypes?.length;
}

/**
 * The same alternatives with every one that names only services merged into one term, since any union of
 * `service:(…)` and `-service:(…)` terms is itself one such term: `(service:(a OR b)) OR (-service:(a OR c))`
 * is `-service:c`. An API that knows only the three service forms the reference shows then still accepts
 * every query of a plan by service, and the queries are shorter. An empty clause matches everything.
 */
export function mergeServiceAlternatives(clauses: readonly FacetClause[]): FacetClause[] {
  const byService = clauses.filter(namesOnlyServices);
  if (byService.length < 2) return [...clauses];
  const included = new Set(byService.flatMap((clause) => clause.includeServices ?? []));
  const exclusions = byService.filter((clause) => clause.excludeServices?.length);
  const others = clauses.filter((clause) => !namesOnlyServices(clause));
  if (byService.some((clause) => !clause.includeServices?.length && !clause.excludeServices?.length))
    return [{}];
  let merged: FacetClause;
  if (exclusions.length === 0) merged = { includeServices: [...included] };
  else {
    // A union of exclusions excludes what every one of them excludes, less what an inclusion takes back.
    const excluded = exclusions[0]!.excludeServices!.filter(
      (service) =>
        !included.has(service) && exclusions.every((clause) => clause.excludeServices!.includes(service)),
    );
    if (excluded.length === 0) return [{}];
    merged = { excludeServices: excluded };
  }
  return [merged, ...others];
}

/** The filter's facet terms in event-search syntax, in a fixed order, all of which must hold. */
function facetClauses(filter: SearchFilter, issueList = valueList): string[] {
  const { excludeIssues, ...facets } = filter;
  const clauses = servicesAndTypes(facets);
  if (excludeIssues?.length) clauses.push(`-@issue.id:${issueList(excludeIssues)}`);
  return clauses;
}

function servicesAndTypes(filter: SearchFilter): string[] {
  if (filter.anyOf) {
    const alternatives = mergeServiceAlternatives(filter.anyOf).map((clause) =>
      servicesAndTypes(clause).join(' AND '),
    );
    if (alternatives.some((part) => part === '')) return [];
    return alternatives.length === 1
      ? alternatives
      : [`(${alternatives.map((part) => `(${part})`).join(' OR ')})`];
  }
  const clauses: string[] = [];
  if (filter.includeServices?.length) clauses.push(`service:${valueList(filter.includeServices)}`);
  if (filter.excludeServices?.length) clauses.push(`-service:${valueList(filter.excludeServices)}`);
  if (filter.includeErrorTypes?.length) clauses.push(`@error.type:${valueList(filter.includeErrorTypes)}`);
  if (filter.excludeErrorTypes?.length) clauses.push(`-@error.type:${valueList(filter.excludeErrorTypes)}`);
  return clauses;
}

export function isMatchAll(query: string): boolean {
  const trimmed = query.trim();
  return trimmed === '' || trimmed === '*';
}

/** The `query` string for a search: the user's query narrowed by the filter's facets. */
export function buildSearchQuery(userQuery: string, filter: SearchFilter): string {
  const clauses = facetClauses(filter);
  if (clauses.length === 0) return isMatchAll(userQuery) ? '*' : userQuery.trim();
  if (isMatchAll(userQuery)) return clauses.join(' AND ');
  return [`(${userQuery.trim()})`, ...clauses].join(' AND ');
}

/** A compact, stable description of a filter for the manifest and logs. */
export function describeFilter(filter: SearchFilter): string {
  const parts = facetClauses(filter, (issues) => `(${issues.length} issues)`);
  if (filter.track) parts.push(`track:${filter.track}`);
  if (filter.states) parts.push(`states:${filter.states.join('|')}`);
  return parts.join(' ') || '*';
}
