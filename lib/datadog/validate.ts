/**
 * Structural checks of Datadog responses: only what the exporter relies on (ids, arrays, objects, numeric
 * counts). Unknown fields, enum values and included types are data, never errors. The checks normalize in
 * place (absent `attributes` become `{}`, numeric strings become numbers) so callers can trust the types.
 */
import type { CaseWire, IssueResponseWire, SearchResponseWire, TeamWire, UserWire } from './types';

export type Validation<T> = { ok: true; value: T } | { ok: false; problem: string };

type JsonObject = Record<string, unknown>;

const SEARCH_COUNT_FIELDS = ['total_count', 'impacted_users', 'impacted_sessions'] as const;

export function validateSearchResponse(body: unknown): Validation<SearchResponseWire> {
  if (!isObject(body)) return invalid('the body is not a JSON object');
  if (!Array.isArray(body.data)) return invalid('data is not an array');
  for (const [index, result] of body.data.entries()) {
    const path = `data[${index}]`;
    const problem =
      checkResource(result, path, 'error_tracking_search_result') ?? checkCounts(result as JsonObject, path);
    if (problem) return invalid(problem);
    identifyByIssue(result as JsonObject);
  }
  const problem = checkIncluded(body);
  if (problem) return invalid(problem);
  return { ok: true, value: body as unknown as SearchResponseWire };
}

/**
 * A search result is its issue's, and the reference's results carry the issue's id twice (as the result
 * id and in `relationships.issue`). An API whose result ids differ would otherwise give rows and plans
 * ids no issue object has, so the issue's id is the result's id.
 */
function identifyByIssue(result: JsonObject): void {
  const relationships = result.relationships as JsonObject | undefined;
  const issue = relationships?.issue as JsonObject | undefined;
  const data = issue?.data as JsonObject | undefined;
  if (typeof data?.id === 'string' && data.id !== '') result.id = data.id;
}

export function validateIssueResponse(body: unknown): Validation<IssueResponseWire> {
  if (!isObject(body)) return invalid('the body is not a JSON object');
  const problem = checkResource(body.data, 'data', 'issue') ?? checkIncluded(body);
  if (problem) return invalid(problem);
  return { ok: true, value: body as unknown as IssueResponseWire };
}

/** `GET /api/v2/cases|team|users/{id}`: one resource in `data`, returned on its own. */
export function validateSingleResource<T extends CaseWire | TeamWire | UserWire>(
  body: unknown,
  defaultType: T['type'],
): Validation<T> {
  if (!isObject(body)) return invalid('the body is not a JSON object');
  const problem = checkResource(body.data, 'data', defaultType);
  if (problem) return invalid(problem);
  return { ok: true, value: body.data as T };
}

function checkIncluded(body: JsonObject): string | undefined {
  if (body.included === undefined || body.included === null) {
    delete body.included;
    return undefined;
  }
  if (!Array.isArray(body.included)) return 'included is not an array';
  for (const [index, resource] of body.included.entries()) {
    const problem = checkResource(resource, `included[${index}]`, undefined);
    if (problem) return problem;
  }
  return undefined;
}

/** A JSON:API resource: string id, string type, object attributes, well-formed relationships. */
function checkResource(value: unknown, path: string, defaultType: string | undefined): string | undefined {
  if (!isObject(value)) return `${path} is not an object`;
  if (typeof value.id !== 'string' || value.id === '') return `${path}.id is not a non-empty string`;
  if (value.type === undefined && defaultType !== undefined) value.type = defaultType;
  if (typeof value.type !== 'string') return `${path}.type is not a string`;
  if (value.attributes === undefined || value.attributes === null) value.attributes = {};
  if (!isObject(value.attributes)) return `${path}.attributes is not an object`;
  if (value.relationships === undefined || value.relationships === null) {
    delete value.relationships;
    return undefined;
  }
  if (!isObject(value.relationships)) return `${path}.relationships is not an object`;
  for (const [name, relationship] of Object.entries(value.relationships)) {
    const problem = checkRelationship(relationship, `${path}.relationships.${name}`);
    if (problem) return problem;
  }
  return undefined;
}

function checkRelationship(relationship: unknown, path: string): string | undefined {
  // Relationships without `data` (links only, or meta) carry nothing the exporter reads.
  if (!isObject(relationship) || !('data' in relationship)) return undefined;
  const { data } = relationship;
  if (data === null) return undefined;
  const linkages = Array.isArray(data) ? data : [data];
  for (const linkage of linkages) {
    if (!isObject(linkage) || typeof linkage.id !== 'string')
      return `${path}.data has an entry without a string id`;
  }
  return undefined;
}

function checkCounts(result: JsonObject, path: string): string | undefined {
  const attributes = result.attributes as JsonObject;
  for (const field of SEARCH_COUNT_FIELDS) {
    const value = attributes[field];
    if (value === undefined) continue;
    if (value === null) {
      delete attributes[field];
    } else if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) {
      // int64 values are sometimes serialized as strings.
      attributes[field] = Number(value);
    } else if (typeof value !== 'number' || !Number.isFinite(value)) {
      return `${path}.attributes.${field} is not a number`;
    }
  }
  return undefined;
}

function invalid(problem: string): { ok: false; problem: string } {
  return { ok: false, problem };
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
