/**
 * The simulated Datadog Error Tracking API over `node:http`. Routing, auth, rate limiting and faults live
 * here; what the endpoints answer comes from `search.ts`, `wire.ts` and `mutations.ts`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ISSUE_STATES,
  type IssueResponseWire,
  PERSONAS,
  type Persona,
  type SearchRequestAttributes,
  TRACKS,
  type Track,
} from '../datadog/types';
import { BadRequestError, NotFoundError, SimulatorRequestError } from './errors';
import {
  type FaultKind,
  type FaultOptions,
  FaultPlan,
  type InjectFaultsOptions,
  type SimulatorEndpoint,
} from './faults';
import { type GroundTruthEntry, type GroundTruthOptions, groundTruth } from './ground-truth';
import type { SimulatedOrg } from './model';
import {
  type AddOccurrencesOptions,
  addOccurrences,
  purgeIssue,
  setIssueAssignee,
  setIssueState,
} from './mutations';
import {
  type IgnoredFieldBehaviour,
  parseQuery,
  type QueryField,
  type QueryNode,
  queryFields,
} from './query';
import { RateLimiter, type RateLimitOptions } from './rate-limit';
import { parseSearchBody, parseSearchInclude, SearchEngine } from './search';
import { caseToWire, issueToWire, teamToWire, userToWire } from './wire';

export const DEFAULT_API_KEY = 'sim-api-key';
export const DEFAULT_APP_KEY = 'sim-app-key';

export interface SimulatorOptions {
  org: SimulatedOrg;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  apiKey?: string;
  appKey?: string;
  rateLimit?: RateLimitOptions;
  faults?: FaultOptions;
  /** Clock for rate-limit windows and state-change times. Default `Date.now`. */
  now?: () => number;
  /** Most recent searches kept in `stats.searchLog`. Default 10,000. */
  searchLogLimit?: number;
  /**
   * Query fields the search refuses with a 400, as an API that does not offer that facet would; the
   * exporter's error-type facet is inferred from the search syntax, so tests prove it copes without it.
   */
  refusedQueryFields?: readonly QueryField[];
  /**
   * Query fields the search accepts but does not apply, as a lenient API might: the exporter checks
   * every result against the facets it asked for, so tests prove it notices rather than trusting them.
   */
  ignoredQueryFields?: Readonly<Partial<Record<QueryField, IgnoredFieldBehaviour>>>;
  /**
   * How the search treats the `states` attribute, which the reference's request schema does not list:
   * applied (default), refused with a 400 as an unknown attribute, or accepted and ignored.
   */
  statesAttribute?: 'applied' | 'refused' | 'ignored';
  /**
   * Longest `query` the search accepts; a longer one gets a 400, as an API with an undocumented limit
   * would answer. Default: no limit.
   */
  maxQueryLength?: number;
  /**
   * The queries the search reads: the whole event-search subset of `parseQuery` (default), or only the
   * forms the reference shows for services (`*`, `service:v`, `service:(a OR b)`, `-service:(…)`),
   * anything else a 400, as a minimal implementation of the API might answer.
   */
  queryForms?: 'event-search' | 'services-only';
  /** Rankings the search accepts: every `order_by` value (default), or `TOTAL_COUNT` alone, others a 400. */
  rankings?: 'all' | 'count-only';
  /** How the search treats the `track` attribute: applied (default), refused with a 400, or ignored. */
  trackAttribute?: 'applied' | 'refused' | 'ignored';
  /**
   * The status of a search refused for what this API does not support (every refusal above): 400
   * (default), or 500, as an implementation that fails on what it cannot parse would answer.
   */
  refusalStatus?: 400 | 500;
}

/** What the search API supports beyond the reference's core, set by `SimulatorOptions`. */
interface SearchDialect {
  readonly refusedQueryFields: ReadonlySet<QueryField>;
  readonly statesAttribute: 'applied' | 'refused' | 'ignored';
  readonly maxQueryLength: number;
  readonly queryForms: 'event-search' | 'services-only';
  readonly rankings: 'all' | 'count-only';
  readonly trackAttribute: 'applied' | 'refused' | 'ignored';
  readonly refusalStatus: 400 | 500;
}

/** A lone service term, negated or not, or no term at all. */
function isServiceTermOnly(node: QueryNode): boolean {
  const term = node.kind === 'not' ? node.child : node;
  return node.kind === 'all' || (term.kind === 'term' && term.field === 'service');
}

export interface SimulatorStats {
  /** API requests received, whatever their outcome. */
  requests: number;
  /** Searches answered from the org (status 200, including truncated ones). */
  searches: number;
  byEndpoint: Record<string, number>;
  /** Keyed by HTTP status, or `reset` for a destroyed connection. */
  byStatus: Record<string, number>;
  byEndpointStatus: Record<string, Record<string, number>>;
  /** Faults served, by kind. */
  faults: Record<string, number>;
  /** Attributes of the most recent answered searches, oldest first. */
  searchLog: SearchRequestAttributes[];
}

export interface RunningSimulator {
  /** Base URL such as `http://127.0.0.1:40123`, without a trailing slash. */
  url: string;
  port: number;
  org: SimulatedOrg;
  apiKey: string;
  appKey: string;
  /** Live counters; `resetStats()` zeroes them. */
  readonly stats: SimulatorStats;
  resetStats(): void;
  /** The next `count` API requests (optionally only to `endpoint`) fail with `kind`. */
  injectFaults(kind: FaultKind, count: number, options?: InjectFaultsOptions): void;
  clearFaults(): void;
  setIssueState(issueId: string, state: string): void;
  setIssueAssignee(issueId: string, userId: string | null): void;
  /** `GET issue` answers 404 for it from now on (see `purgeIssue`). */
  purgeIssue(issueId: string): void;
  addOccurrences(issueId: string, timestamps: readonly number[], options?: AddOccurrencesOptions): void;
  groundTruth(options: GroundTruthOptions): GroundTruthEntry[];
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISSUE_INCLUDE_VALUES = ['assignee', 'case', 'team_owners'] as const;

const GATEWAY_HTML: Record<502 | 503, string> = {
  502: '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>\n',
  503: '<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503 Service Temporarily Unavailable</h1></center></body></html>\n',
};

interface ApiResponse {
  status: number;
  body: unknown;
}

interface Route {
  endpoint: SimulatorEndpoint;
  /** Decoded path parameter (issue, case, team or user id). */
  id: string;
}

function emptyStats(): SimulatorStats {
  return {
    requests: 0,
    searches: 0,
    byEndpoint: {},
    byStatus: {},
    byEndpointStatus: {},
    faults: {},
    searchLog: [],
  };
}

function increment(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new BadRequestError('path is not valid percent-encoding');
  }
}

function route(method: string, pathname: string): Route {
  const parts = pathname.split('/').filter((part) => part !== '');
  const [api, version, resource, ...rest] = parts;
  if (api !== 'api' || version !== 'v2') return { endpoint: 'unknown', id: '' };
  if (resource === 'error-tracking' && rest[0] === 'issues') {
    if (rest.length === 2 && rest[1] === 'search' && method === 'POST') return { endpoint: 'search', id: '' };
    if (rest.length === 2 && method === 'GET')
      return { endpoint: 'get_issue', id: decodeSegment(rest[1] as string) };
    if (rest.length === 3 && rest[2] === 'state' && method === 'PUT') {
      return { endpoint: 'update_state', id: decodeSegment(rest[1] as string) };
    }
  }
  if (rest.length === 1 && method === 'GET') {
    const id = decodeSegment(rest[0] as string);
    if (resource === 'cases') return { endpoint: 'get_case', id };
    if (resource === 'team') return { endpoint: 'get_team', id };
    if (resource === 'users') return { endpoint: 'get_user', id };
  }
  return { endpoint: 'unknown', id: '' };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => {
      if (size > MAX_BODY_BYTES) reject(new SimulatorRequestError(413, 'request body is larger than 1 MiB'));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    request.on('error', reject);
  });
}

function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequestError('body is not valid JSON');
  }
}

/** JSON:API error object, the shape Datadog uses for validation failures. */
function errorBody(status: number, detail: string): unknown {
  if (status === 404) return { errors: ['Not found'] };
  const title = status === 400 ? 'Bad Request' : status === 413 ? 'Payload Too Large' : 'Error';
  return { errors: [{ status: String(status), title, detail }] };
}

function parseIssueInclude(value: string | null): Set<string> {
  const include = new Set<string>();
  for (const part of (value ?? '').split(',')) {
    const trimmed = part.trim();
    if (trimmed === '') continue;
    if (!(ISSUE_INCLUDE_VALUES as readonly string[]).includes(trimmed)) {
      throw new BadRequestError(`include must be a comma list of ${ISSUE_INCLUDE_VALUES.join(', ')}`);
    }
    include.add(trimmed);
  }
  return include;
}

function requireUuid(id: string): void {
  if (!UUID_PATTERN.test(id)) throw new BadRequestError('issue id is not an uuid');
}

function parseGroundTruthQuery(parameters: URLSearchParams): GroundTruthOptions {
  const numberParameter = (name: string): number => {
    const raw = parameters.get(name);
    const value = raw === null || raw.trim() === '' ? Number.NaN : Number(raw);
    if (!Number.isSafeInteger(value)) throw new BadRequestError(`${name} must be an integer`);
    return value;
  };
  const options: GroundTruthOptions = {
    from: numberParameter('from'),
    to: numberParameter('to'),
    bucketMs: numberParameter('bucket_ms'),
  };
  const query = parameters.get('query');
  if (query !== null) options.query = query;
  const track = parameters.get('track');
  if (track !== null) {
    if (!(TRACKS as readonly string[]).includes(track))
      throw new BadRequestError(`track must be one of ${TRACKS.join(', ')}`);
    options.track = track as Track;
  }
  const persona = parameters.get('persona');
  if (persona !== null) {
    if (!(PERSONAS as readonly string[]).includes(persona)) {
      throw new BadRequestError(`persona must be one of ${PERSONAS.join(', ')}`);
    }
    options.persona = persona as Persona;
  }
  const states = parameters.get('states');
  if (states) options.states = states.split(',');
  return options;
}

class SimulatorServer {
  readonly engine: SearchEngine;
  readonly rateLimiter: RateLimiter;
  readonly faultPlan: FaultPlan;
  stats = emptyStats();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    readonly org: SimulatedOrg,
    readonly apiKey: string,
    readonly appKey: string,
    readonly now: () => number,
    rateLimit: RateLimitOptions | undefined,
    faults: FaultOptions | undefined,
    private readonly searchLogLimit: number,
    ignoredQueryFields: ReadonlyMap<QueryField, IgnoredFieldBehaviour>,
    private readonly dialect: SearchDialect,
  ) {
    this.engine = new SearchEngine(org, ignoredQueryFields);
    this.rateLimiter = new RateLimiter(rateLimit, now);
    this.faultPlan = new FaultPlan(faults ?? {}, org.seed);
  }

  /** A 400 for a query too long, naming a field this API refuses, or of a form it does not read. */
  private refuseQuery(query: string): void {
    const { maxQueryLength, refusedQueryFields, queryForms } = this.dialect;
    if (query.length > maxQueryLength) {
      throw new BadRequestError(`query too long: ${query.length} characters, at most ${maxQueryLength}`);
    }
    if (refusedQueryFields.size === 0 && queryForms === 'event-search') return;
    let node: QueryNode;
    try {
      node = parseQuery(query);
    } catch {
      return;
    }
    const refused = queryFields(node).find((field) => refusedQueryFields.has(field));
    if (refused) throw new BadRequestError(`unsupported facet "${refused}" in query`);
    if (queryForms === 'services-only' && !isServiceTermOnly(node))
      throw new BadRequestError(
        'unsupported query: only service:, service:(…) and -service:(…) are supported',
      );
  }

  /** `search()`, with its refusals (400s) answered with `status` instead. */
  private refusingWith<T>(status: 400 | 500, search: () => T): T {
    try {
      return search();
    } catch (error) {
      if (status === 400 || !(error instanceof BadRequestError)) throw error;
      throw new SimulatorRequestError(status, `Internal Server Error: ${error.message}`);
    }
  }

  /** The search's attributes as this API reads them: a 400 for one it refuses, one it ignores dropped. */
  private readAttributes(attributes: SearchRequestAttributes): SearchRequestAttributes {
    const { statesAttribute, rankings, trackAttribute } = this.dialect;
    if (attributes.states && statesAttribute === 'refused') {
      throw new BadRequestError('unknown attribute "states"');
    }
    if (attributes.track && trackAttribute === 'refused') {
      throw new BadRequestError('unknown attribute "track"');
    }
    if (attributes.order_by && attributes.order_by !== 'TOTAL_COUNT' && rankings === 'count-only') {
      throw new BadRequestError('order_by must be TOTAL_COUNT');
    }
    const { states, track, ...read } = attributes;
    return {
      ...read,
      ...(states && statesAttribute !== 'ignored' ? { states } : {}),
      ...(track && trackAttribute !== 'ignored' ? { track } : {}),
      // An API ignoring the track still needs one of the two, as the reference says.
      ...(track && trackAttribute === 'ignored' && !read.persona ? { persona: 'ALL' as const } : {}),
    };
  }

  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://simulator.invalid');
    let bodyText: string;
    try {
      bodyText = await readBody(request);
    } catch (error) {
      const status = error instanceof SimulatorRequestError ? error.status : 400;
      this.send(
        response,
        status,
        errorBody(status, error instanceof Error ? error.message : 'unreadable body'),
        {},
      );
      return;
    }
    if (url.pathname.startsWith('/_simulator/')) {
      this.handleControl(request.method ?? 'GET', url, response);
      return;
    }
    await this.handleApi(request, response, url, bodyText);
  }

  private handleControl(method: string, url: URL, response: ServerResponse): void {
    try {
      if (method === 'GET' && url.pathname === '/_simulator/ground-truth') {
        const entries = groundTruth(this.org, parseGroundTruthQuery(url.searchParams), this.engine);
        this.send(response, 200, { entries }, {});
      } else if (method === 'GET' && url.pathname === '/_simulator/stats') {
        this.send(response, 200, this.stats, {});
      } else if (method === 'GET' && url.pathname === '/_simulator/org') {
        const { org } = this;
        this.send(
          response,
          200,
          {
            seed: org.seed,
            from: org.from,
            to: org.to,
            distribution: org.options.distribution,
            issues: org.issues.length,
            services: org.services,
            occurrences: org.issues.reduce((sum, issue) => sum + issue.occurrences.timestamps.length, 0),
          },
          {},
        );
      } else {
        throw new NotFoundError();
      }
    } catch (error) {
      const status = error instanceof SimulatorRequestError ? error.status : 500;
      this.send(
        response,
        status,
        errorBody(status, error instanceof Error ? error.message : String(error)),
        {},
      );
    }
  }

  private async handleApi(
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
    bodyText: string,
  ): Promise<void> {
    const { stats } = this;
    let routed: Route;
    try {
      routed = route(request.method ?? 'GET', url.pathname);
    } catch {
      routed = { endpoint: 'unknown', id: '' };
    }
    const { endpoint } = routed;
    stats.requests++;
    increment(stats.byEndpoint, endpoint);
    const record = (status: string) => {
      increment(stats.byStatus, status);
      stats.byEndpointStatus[endpoint] ??= {};
      increment(stats.byEndpointStatus[endpoint], status);
    };

    if (
      request.headers['dd-api-key'] !== this.apiKey ||
      request.headers['dd-application-key'] !== this.appKey
    ) {
      record('403');
      this.send(response, 403, { errors: ['Forbidden'] }, this.rateLimiter.peek());
      return;
    }
    const limit = this.rateLimiter.take();
    if (!limit.allowed) {
      record('429');
      this.send(response, 429, { errors: ['Rate limit exceeded'] }, limit.headers);
      return;
    }
    const fault = this.faultPlan.next(endpoint);
    if (fault.delayMs > 0) await this.delay(fault.delayMs);
    if (this.closed || response.destroyed) return;
    if (fault.kind && fault.kind !== 'slow' && fault.kind !== 'truncated_json') {
      increment(stats.faults, fault.kind);
      this.sendFault(fault.kind, request, response, limit.headers, record);
      return;
    }
    if (fault.kind === 'slow') increment(stats.faults, fault.kind);

    let result: ApiResponse;
    try {
      result = this.dispatch(routed, url, bodyText);
    } catch (error) {
      const status = error instanceof SimulatorRequestError ? error.status : 500;
      result = { status, body: errorBody(status, error instanceof Error ? error.message : String(error)) };
    }
    let text = JSON.stringify(result.body);
    if (fault.kind === 'truncated_json' && result.status === 200) {
      increment(stats.faults, fault.kind);
      text = text.slice(0, Math.max(1, Math.floor(text.length / 2)));
    }
    record(String(result.status));
    this.sendText(response, result.status, text, 'application/json', limit.headers);
  }

  private sendFault(
    kind: FaultKind,
    request: IncomingMessage,
    response: ServerResponse,
    headers: Record<string, string>,
    record: (status: string) => void,
  ): void {
    switch (kind) {
      case 'server_error':
        record('500');
        this.send(response, 500, { errors: ['Internal Server Error'] }, headers);
        return;
      case 'bad_gateway':
      case 'service_unavailable': {
        const status = kind === 'bad_gateway' ? 502 : 503;
        record(String(status));
        this.sendText(response, status, GATEWAY_HTML[status], 'text/html', headers);
        return;
      }
      case 'rate_limited':
        record('429');
        this.send(
          response,
          429,
          { errors: ['Rate limit exceeded'] },
          { ...headers, 'x-ratelimit-remaining': '0' },
        );
        return;
      default:
        record('reset');
        request.socket.destroy();
    }
  }

  private dispatch(routed: Route, url: URL, bodyText: string): ApiResponse {
    const { org } = this;
    const { id } = routed;
    switch (routed.endpoint) {
      case 'search': {
        const include = parseSearchInclude(url.searchParams.get('include'));
        const attributes = parseSearchBody(parseJsonBody(bodyText));
        const body = this.refusingWith(this.dialect.refusalStatus, () => {
          this.refuseQuery(attributes.query);
          return this.engine.search(this.readAttributes(attributes), include);
        });
        this.stats.searches++;
        this.stats.searchLog.push(attributes);
        if (this.stats.searchLog.length > this.searchLogLimit) this.stats.searchLog.shift();
        return { status: 200, body };
      }
      case 'get_issue': {
        requireUuid(id);
        const include = parseIssueInclude(url.searchParams.get('include'));
        const issue = org.issuesById.get(id);
        if (!issue) throw new NotFoundError();
        const body: IssueResponseWire = { data: issueToWire(issue) };
        if (include.size > 0) {
          // Unlike search, the issue endpoint includes every related object that exists.
          const included: NonNullable<IssueResponseWire['included']> = [];
          const user =
            include.has('assignee') && issue.assigneeId ? org.users.get(issue.assigneeId) : undefined;
          if (user) included.push(userToWire(user, 'user'));
          const simulatedCase = include.has('case') && issue.caseId ? org.cases.get(issue.caseId) : undefined;
          if (simulatedCase) included.push(caseToWire(simulatedCase));
          if (include.has('team_owners')) {
            for (const teamId of issue.teamIds) {
              const team = org.teams.get(teamId);
              if (team) included.push(teamToWire(team));
            }
          }
          body.included = included;
        }
        return { status: 200, body };
      }
      case 'update_state': {
        requireUuid(id);
        if (!org.issuesById.has(id)) throw new NotFoundError();
        const state = parseStateBody(parseJsonBody(bodyText), id);
        const issue = setIssueState(org, id, state, this.now());
        return { status: 200, body: { data: issueToWire(issue) } };
      }
      case 'get_case': {
        const simulatedCase = org.cases.get(id) ?? org.casesByKey.get(id);
        if (!simulatedCase) throw new NotFoundError();
        return { status: 200, body: { data: caseToWire(simulatedCase) } };
      }
      case 'get_team': {
        const team = org.teams.get(id);
        if (!team) throw new NotFoundError();
        return { status: 200, body: { data: teamToWire(team) } };
      }
      case 'get_user': {
        const user = org.users.get(id);
        if (!user) throw new NotFoundError();
        return { status: 200, body: { data: userToWire(user, 'users') } };
      }
      default:
        throw new NotFoundError();
    }
  }

  private delay(milliseconds: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, milliseconds);
      this.timers.add(timer);
    });
  }

  private send(
    response: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string>,
  ): void {
    this.sendText(response, status, JSON.stringify(body), 'application/json', headers);
  }

  private sendText(
    response: ServerResponse,
    status: number,
    text: string,
    contentType: string,
    headers: Record<string, string>,
  ): void {
    if (response.destroyed || response.writableEnded) return;
    const payload = Buffer.from(text, 'utf8');
    response.writeHead(status, {
      ...headers,
      'content-type': `${contentType}; charset=utf-8`,
      'content-length': String(payload.length),
    });
    response.end(payload);
  }

  shutdown(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

function parseStateBody(body: unknown, issueId: string): string {
  const data = typeof body === 'object' && body !== null ? (body as { data?: unknown }).data : undefined;
  if (typeof data !== 'object' || data === null) throw new BadRequestError('body must be {"data": {...}}');
  const { type, id, attributes } = data as { type?: unknown; id?: unknown; attributes?: { state?: unknown } };
  if (type !== 'error_tracking_issue') throw new BadRequestError('data.type must be "error_tracking_issue"');
  if (id !== undefined && id !== issueId)
    throw new BadRequestError('data.id must match the issue id in the path');
  const state = attributes?.state;
  if (typeof state !== 'string' || !(ISSUE_STATES as readonly string[]).includes(state)) {
    throw new BadRequestError(`data.attributes.state must be one of ${ISSUE_STATES.join(', ')}`);
  }
  return state;
}

/** Starts the simulator on a loopback port; the org is served (and mutated) in place. */
export async function startSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  const now = options.now ?? Date.now;
  const apiKey = options.apiKey ?? DEFAULT_API_KEY;
  const appKey = options.appKey ?? DEFAULT_APP_KEY;
  const simulator = new SimulatorServer(
    options.org,
    apiKey,
    appKey,
    now,
    options.rateLimit,
    options.faults,
    options.searchLogLimit ?? 10_000,
    new Map(Object.entries(options.ignoredQueryFields ?? {}) as Array<[QueryField, IgnoredFieldBehaviour]>),
    {
      refusedQueryFields: new Set(options.refusedQueryFields ?? []),
      statesAttribute: options.statesAttribute ?? 'applied',
      maxQueryLength: options.maxQueryLength ?? Number.POSITIVE_INFINITY,
      queryForms: options.queryForms ?? 'event-search',
      rankings: options.rankings ?? 'all',
      trackAttribute: options.trackAttribute ?? 'applied',
      refusalStatus: options.refusalStatus ?? 400,
    },
  );
  const server = createServer((request, response) => {
    simulator.handle(request, response).catch((error: unknown) => {
      if (!response.headersSent && !response.destroyed) {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ errors: [error instanceof Error ? error.message : 'Internal error'] }));
      }
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const { org } = options;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    org,
    apiKey,
    appKey,
    get stats() {
      return simulator.stats;
    },
    resetStats() {
      simulator.stats = emptyStats();
    },
    injectFaults: (kind, count, injectOptions) => simulator.faultPlan.inject(kind, count, injectOptions),
    clearFaults: () => simulator.faultPlan.clear(),
    setIssueState: (issueId, state) => {
      setIssueState(org, issueId, state, now());
    },
    setIssueAssignee: (issueId, userId) => {
      setIssueAssignee(org, issueId, userId);
    },
    purgeIssue: (issueId) => purgeIssue(org, issueId),
    addOccurrences: (issueId, timestamps, addOptions) => {
      addOccurrences(org, issueId, timestamps, addOptions);
    },
    groundTruth: (groundTruthOptions) => groundTruth(org, groundTruthOptions, simulator.engine),
    close: () =>
      new Promise<void>((resolve, reject) => {
        simulator.shutdown();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
