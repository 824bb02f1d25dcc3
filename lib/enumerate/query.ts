import type { Track } from '../datadog/types';

/**
 * Facet constraints the enumeration engine adds to the user's query to partition a saturated window.
 * A filter names services to include or to exclude, never both: a part of a remainder query only names
 * services the remainder has not excluded, so an include list alone already implies the exclusion.
 */
export interface SearchFilter {
  readonly includeServices?: readonly string[];
  readonly excludeServices?: readonly string[];
  /** Set only when the scope searches persona ALL, whose events the three tracks partition. */
  readonly track?: Track;
  readonly states?: readonly string[];
}

/** Event-search syntax quoting: always quote, so odd names (spaces, `=`, `/`, parentheses) stay one value. */
export function quoteSearchValue(value: string): string {
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

function serviceList(services: readonly string[]): string {
  return services.length === 1
    ? quoteSearchValue(services[0]!)
    : `(${services.map(quoteSearchValue).join(' OR ')})`;
}

export function isMatchAll(query: string): boolean {
  const trimmed = query.trim();
  return trimmed === '' || trimmed === '*';
}

/** The `query` string for a search: the user's query narrowed by the filter's service facets. */
export function buildSearchQuery(userQuery: string, filter: SearchFilter): string {
  const clauses: string[] = [];
  if (filter.includeServices && filter.includeServices.length > 0) {
    clauses.push(`service:${serviceList(filter.includeServices)}`);
  }
  if (filter.excludeServices && filter.excludeServices.length > 0) {
    clauses.push(`-service:${serviceList(filter.excludeServices)}`);
  }
  if (clauses.length === 0) return isMatchAll(userQuery) ? '*' : userQuery.trim();
  if (isMatchAll(userQuery)) return clauses.join(' AND ');
  return [`(${userQuery.trim()})`, ...clauses].join(' AND ');
}

/** A compact, stable description of a filter for the manifest and logs. */
export function describeFilter(filter: SearchFilter): string {
  const parts: string[] = [];
  if (filter.includeServices) parts.push(`service:${serviceList(filter.includeServices)}`);
  if (filter.excludeServices) parts.push(`-service:${serviceList(filter.excludeServices)}`);
  if (filter.track) parts.push(`track:${filter.track}`);
  if (filter.states) parts.push(`states:${filter.states.join('|')}`);
  return parts.join(' ') || '*';
}
