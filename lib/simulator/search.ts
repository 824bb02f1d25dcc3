/**
 * Search semantics of `POST /api/v2/error-tracking/issues/search`: which issues match a request, their
 * window counts, the ranking, the 100-result cap and what `include` adds.
 */
import {
  ISSUE_STATES,
  ORDER_BY,
  type OrderBy,
  PERSONAS,
  type Persona,
  SEARCH_RESULT_CAP,
  type SearchRequestAttributes,
  type SearchResponseWire,
  type SearchResultWire,
  TRACKS,
  type Track,
} from '../datadog/types';
import { BadRequestError } from './errors';
import type { SimulatedIssue, SimulatedOrg } from './model';
import { DistinctCounter, lowerBound } from './occurrences';
import {
  type IgnoredFieldBehaviour,
  ignoringFields,
  matchesQuery,
  parseQuery,
  type QueryField,
  QuerySyntaxError,
} from './query';
import { caseToWire, issueToWire, teamToWire, unknownIncludedFor, userToWire } from './wire';

export const SEARCH_INCLUDE_VALUES = ['issue', 'issue.assignee', 'issue.case', 'issue.team_owners'] as const;
export type SearchInclude = (typeof SEARCH_INCLUDE_VALUES)[number];

const MOBILE_PLATFORMS = new Set(['ANDROID', 'IOS', 'FLUTTER', 'REACT_NATIVE', 'ROKU']);

export function personaMatches(persona: Persona, platform: string): boolean {
  switch (persona) {
    case 'ALL':
      return true;
    case 'BACKEND':
      return platform === 'BACKEND';
    case 'BROWSER':
      return platform === 'BROWSER';
    case 'MOBILE':
      return MOBILE_PLATFORMS.has(platform);
  }
}

/** The issue-level filters of a search (everything but the time window). */
export interface IssueFilter {
  query?: string;
  track?: Track;
  persona?: Persona;
  states?: readonly string[];
  assignee_ids?: readonly string[];
  team_ids?: readonly string[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalStringList(attributes: Record<string, unknown>, name: string): string[] | undefined {
  const value = attributes[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new BadRequestError(`${name} must be an array of strings`);
  }
  return value;
}

function optionalEnum<T extends string>(
  attributes: Record<string, unknown>,
  name: string,
  allowed: readonly T[],
): T | undefined {
  const value = attributes[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw new BadRequestError(`${name} must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}

/** Validates a search body the way the API does; throws `BadRequestError` with a one-line reason. */
export function parseSearchBody(body: unknown): SearchRequestAttributes {
  if (!isRecord(body) || !isRecord(body.data)) throw new BadRequestError('body must be {"data": {...}}');
  if (body.data.type !== 'search_request') throw new BadRequestError('data.type must be "search_request"');
  const attributes = body.data.attributes;
  if (!isRecord(attributes)) throw new BadRequestError('data.attributes is required');
  const { query, from, to } = attributes;
  if (typeof query !== 'string')
    throw new BadRequestError('attributes.query is required and must be a string');
  if (typeof from !== 'number' || !Number.isSafeInteger(from)) {
    throw new BadRequestError('attributes.from is required and must be an int64 of epoch milliseconds');
  }
  if (typeof to !== 'number' || !Number.isSafeInteger(to)) {
    throw new BadRequestError('attributes.to is required and must be an int64 of epoch milliseconds');
  }
  if (from >= to) throw new BadRequestError('attributes.from must be before attributes.to');
  const track = optionalEnum(attributes, 'track', TRACKS);
  const persona = optionalEnum(attributes, 'persona', PERSONAS);
  if (track === undefined && persona === undefined) {
    throw new BadRequestError('either attributes.track or attributes.persona must be specified');
  }
  const orderBy = optionalEnum(attributes, 'order_by', ORDER_BY);
  const states = optionalStringList(attributes, 'states');
  for (const state of states ?? []) {
    if (!(ISSUE_STATES as readonly string[]).includes(state)) {
      throw new BadRequestError(`states must contain only ${ISSUE_STATES.join(', ')}`);
    }
  }
  const assigneeIds = optionalStringList(attributes, 'assignee_ids');
  const teamIds = optionalStringList(attributes, 'team_ids');
  const parsed: SearchRequestAttributes = { query, from, to };
  if (track !== undefined) parsed.track = track;
  if (persona !== undefined) parsed.persona = persona;
  if (orderBy !== undefined) parsed.order_by = orderBy;
  if (states !== undefined) parsed.states = states;
  if (assigneeIds !== undefined) parsed.assignee_ids = assigneeIds;
  if (teamIds !== undefined) parsed.team_ids = teamIds;
  return parsed;
}

/** Parses `?include=`; unknown values are a 400, as in the API. */
export function parseSearchInclude(value: string | null): Set<SearchInclude> {
  const include = new Set<SearchInclude>();
  if (!value) return include;
  for (const part of value.split(',')) {
    const trimmed = part.trim();
    if (trimmed === '') continue;
    if (!(SEARCH_INCLUDE_VALUES as readonly string[]).includes(trimmed)) {
      throw new BadRequestError(`include must be a comma list of ${SEARCH_INCLUDE_VALUES.join(', ')}`);
    }
    include.add(trimmed as SearchInclude);
  }
  return include;
}

interface Candidate {
  issue: SimulatedIssue;
  start: number;
  end: number;
  count: number;
  rank: number;
  /** Position of the issue id in sorted id order: ties rank by id without comparing strings. */
  idOrder: number;
}

const STATE_PRIORITY: Record<string, number> = { OPEN: 1, ACKNOWLEDGED: 0.8 };

const MASK_CACHE_LIMIT = 512;

/**
 * Answers searches over one org. Per-issue data the hot loop reads is kept in flat typed arrays: touching
 * 20k scattered issue objects per search costs more in cache misses than the search itself.
 */
export class SearchEngine {
  /** Keyed by track, persona and query: the filters over attributes that never change after generation. */
  private readonly masks = new Map<string, Uint8Array>();
  private readonly distinct = new DistinctCounter();
  private idOrderCache: Int32Array | undefined;
  private bounds: { version: number; first: Float64Array; last: Float64Array } | undefined;

  constructor(
    readonly org: SimulatedOrg,
    /** Fields whose terms the search ignores instead of matching them (see `SimulatorOptions`). */
    private readonly ignoredFields: ReadonlyMap<QueryField, IgnoredFieldBehaviour> = new Map(),
  ) {}

  /**
   * One byte per issue: 1 when the issue matches the query, track and persona. Throws `BadRequestError` on
   * a bad query.
   */
  staticMask(query: string, track?: Track, persona?: Persona): Uint8Array {
    const key = `${track ?? ''}|${persona ?? ''}|${query}`;
    const cached = this.masks.get(key);
    if (cached && cached.length === this.org.issues.length) return cached;
    let node: ReturnType<typeof parseQuery>;
    try {
      node = ignoringFields(parseQuery(query), this.ignoredFields);
    } catch (error) {
      if (error instanceof QuerySyntaxError) throw new BadRequestError(error.message);
      throw error;
    }
    const mask = new Uint8Array(this.org.issues.length);
    for (const issue of this.org.issues) {
      const matches =
        (!track || issue.track === track) &&
        (!persona || personaMatches(persona, issue.platform)) &&
        matchesQuery(node, issue);
      mask[issue.index] = matches ? 1 : 0;
    }
    if (this.masks.size >= MASK_CACHE_LIMIT) this.masks.clear();
    this.masks.set(key, mask);
    return mask;
  }

  private idOrder(): Int32Array {
    if (this.idOrderCache?.length === this.org.issues.length) return this.idOrderCache;
    const sorted = [...this.org.issues].sort((left, right) =>
      left.id < right.id ? -1 : left.id > right.id ? 1 : 0,
    );
    const order = new Int32Array(sorted.length);
    sorted.forEach((issue, position) => {
      order[issue.index] = position;
    });
    this.idOrderCache = order;
    return order;
  }

  /** First and last occurrence per issue, rebuilt when occurrences were added. */
  private timeBounds(): { first: Float64Array; last: Float64Array } {
    const { org } = this;
    if (
      this.bounds?.version === org.addedOccurrenceBatches &&
      this.bounds.first.length === org.issues.length
    ) {
      return this.bounds;
    }
    const first = new Float64Array(org.issues.length);
    const last = new Float64Array(org.issues.length);
    for (const issue of org.issues) {
      const { timestamps } = issue.occurrences;
      first[issue.index] = timestamps.length > 0 ? (timestamps[0] as number) : Number.POSITIVE_INFINITY;
      last[issue.index] =
        timestamps.length > 0 ? (timestamps[timestamps.length - 1] as number) : Number.NEGATIVE_INFINITY;
    }
    this.bounds = { version: org.addedOccurrenceBatches, first, last };
    return this.bounds;
  }

  /** Issues that pass every filter, and when `window` is given, have an occurrence in it; in org order. */
  filterIssues(filter: IssueFilter, window?: { from: number; to: number }): SimulatedIssue[] {
    const mask = this.staticMask(filter.query ?? '*', filter.track, filter.persona);
    const states = filter.states && filter.states.length > 0 ? new Set(filter.states) : undefined;
    const assignees =
      filter.assignee_ids && filter.assignee_ids.length > 0 ? new Set(filter.assignee_ids) : undefined;
    const teams = filter.team_ids && filter.team_ids.length > 0 ? new Set(filter.team_ids) : undefined;
    const { first, last } = this.timeBounds();
    const from = window?.from ?? Number.NEGATIVE_INFINITY;
    const to = window?.to ?? Number.POSITIVE_INFINITY;
    const { issues } = this.org;
    const result: SimulatedIssue[] = [];
    for (let index = 0; index < mask.length; index++) {
      if (mask[index] !== 1 || (first[index] as number) >= to || (last[index] as number) < from) continue;
      const issue = issues[index] as SimulatedIssue;
      if (states && !states.has(issue.state)) continue;
      if (assignees && !(issue.assigneeId && assignees.has(issue.assigneeId))) continue;
      if (teams && !issue.teamIds.some((teamId) => teams.has(teamId))) continue;
      result.push(issue);
    }
    return result;
  }

  countDistinctUsers(issue: SimulatedIssue, start: number, end: number): number {
    return this.distinct.count(issue.occurrences.userIds, start, end);
  }

  countDistinctSessions(issue: SimulatedIssue, start: number, end: number): number {
    return this.distinct.count(issue.occurrences.sessionIds, start, end);
  }

  search(attributes: SearchRequestAttributes, include: ReadonlySet<SearchInclude>): SearchResponseWire {
    const orderBy: OrderBy = attributes.order_by ?? 'TOTAL_COUNT';
    const candidates: Candidate[] = [];
    const { from, to } = attributes;
    const idOrder = this.idOrder();
    for (const issue of this.filterIssues(attributes, attributes)) {
      const { timestamps } = issue.occurrences;
      // Most issues lie wholly inside or across a window edge, so one or both searches can be skipped.
      const start = (timestamps[0] as number) >= from ? 0 : lowerBound(timestamps, from);
      const end =
        (timestamps[timestamps.length - 1] as number) < to ? timestamps.length : lowerBound(timestamps, to);
      if (end > start) {
        candidates.push({
          issue,
          start,
          end,
          count: end - start,
          rank: 0,
          idOrder: idOrder[issue.index] as number,
        });
      }
    }
    for (const candidate of candidates) candidate.rank = this.rankValue(orderBy, candidate);
    candidates.sort((left, right) => right.rank - left.rank || left.idOrder - right.idOrder);
    const kept = candidates.slice(0, SEARCH_RESULT_CAP);
    const data: SearchResultWire[] = kept.map(({ issue, start, end, count }) => ({
      attributes: {
        impacted_sessions: this.countDistinctSessions(issue, start, end),
        impacted_users: this.countDistinctUsers(issue, start, end),
        total_count: count,
      },
      id: issue.id,
      relationships: { issue: { data: { id: issue.id, type: 'issue' } } },
      type: 'error_tracking_search_result',
    }));
    if (!include.has('issue')) return { data };
    return {
      data,
      included: this.included(
        kept.map((candidate) => candidate.issue),
        include,
      ),
    };
  }

  private rankValue(orderBy: OrderBy, candidate: Candidate): number {
    const { issue, start, end, count } = candidate;
    switch (orderBy) {
      case 'TOTAL_COUNT':
        return count;
      case 'IMPACTED_SESSIONS':
        return this.countDistinctSessions(issue, start, end);
      case 'FIRST_SEEN':
        return issue.firstSeen;
      case 'PRIORITY':
        // Deterministic stand-in for Datadog's undocumented priority: volume, crashes and state matter.
        return (
          issue.priorityWeight *
          Math.log1p(count) *
          (issue.isCrash ? 1.5 : 1) *
          (STATE_PRIORITY[issue.state] ?? 0.5)
        );
    }
  }

  private included(
    issues: SimulatedIssue[],
    include: ReadonlySet<SearchInclude>,
  ): SearchResponseWire['included'] {
    const { org } = this;
    const resources: NonNullable<SearchResponseWire['included']> = issues.map(issueToWire);
    const seen = new Set<string>();
    const firstTime = (key: string) => !seen.has(key) && seen.add(key) !== undefined;
    if (include.has('issue.assignee')) {
      for (const issue of issues) {
        const user = issue.assigneeId ? org.users.get(issue.assigneeId) : undefined;
        if (user && !user.omitFromIncluded && firstTime(`user:${user.id}`))
          resources.push(userToWire(user, 'user'));
      }
    }
    if (include.has('issue.case')) {
      for (const issue of issues) {
        const simulatedCase = issue.caseId ? org.cases.get(issue.caseId) : undefined;
        if (simulatedCase && !simulatedCase.omitFromIncluded && firstTime(`case:${simulatedCase.id}`)) {
          resources.push(caseToWire(simulatedCase));
        }
      }
    }
    if (include.has('issue.team_owners')) {
      for (const issue of issues) {
        for (const teamId of issue.teamIds) {
          const team = org.teams.get(teamId);
          if (team && !team.omitFromIncluded && firstTime(`team:${team.id}`))
            resources.push(teamToWire(team));
        }
      }
    }
    for (const issue of issues) {
      if (issue.withUnknownIncluded) resources.push(unknownIncludedFor(issue));
    }
    return resources;
  }
}
