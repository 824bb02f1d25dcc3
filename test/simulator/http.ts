/** Small fetch helpers for the simulator tests. */
import type { SearchRequestAttributes, SearchResponseWire } from '../../lib/datadog/types';
import type { RunningSimulator } from '../../lib/simulator/index';

export const FULL_INCLUDE = 'issue,issue.assignee,issue.case,issue.team_owners';

export interface HttpResult<T = unknown> {
  status: number;
  headers: Headers;
  text: string;
  body: T;
}

export function authHeaders(simulator: RunningSimulator): Record<string, string> {
  return { 'DD-API-KEY': simulator.apiKey, 'DD-APPLICATION-KEY': simulator.appKey };
}

export async function call<T = unknown>(
  simulator: RunningSimulator,
  method: string,
  path: string,
  options: { body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<HttpResult<T>> {
  const headers: Record<string, string> = options.headers ?? authHeaders(simulator);
  const hasBody = options.body !== undefined || options.rawBody !== undefined;
  const response = await fetch(`${simulator.url}${path}`, {
    method,
    headers: hasBody ? { ...headers, 'content-type': 'application/json' } : headers,
    body: options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Left as text: HTML gateway pages and truncated JSON are what some tests look for.
  }
  return { status: response.status, headers: response.headers, text, body: body as T };
}

export function searchBody(attributes: SearchRequestAttributes): unknown {
  return { data: { type: 'search_request', attributes } };
}

export async function search(
  simulator: RunningSimulator,
  attributes: SearchRequestAttributes,
  include: string | null = FULL_INCLUDE,
): Promise<HttpResult<SearchResponseWire>> {
  const query = include === null ? '' : `?include=${encodeURIComponent(include)}`;
  return call<SearchResponseWire>(simulator, 'POST', `/api/v2/error-tracking/issues/search${query}`, {
    body: searchBody(attributes),
  });
}

/** `include: null` sends no include parameter. Searches and fails the test on anything but a 200. */
export async function searchOk(
  simulator: RunningSimulator,
  attributes: SearchRequestAttributes,
  include: string | null = FULL_INCLUDE,
): Promise<SearchResponseWire> {
  const result = await search(simulator, attributes, include);
  if (result.status !== 200) throw new Error(`search answered ${result.status}: ${result.text}`);
  return result.body;
}

export function ids(response: SearchResponseWire): string[] {
  return response.data.map((result) => result.id);
}
