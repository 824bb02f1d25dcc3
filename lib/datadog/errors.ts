import { UserError } from '../errors';

export interface DatadogApiErrorDetails {
  /** `METHOD /path` of the request, without the query string. */
  endpoint: string;
  /** HTTP status of the last response, absent when the last attempt got no response. */
  status?: number;
  /** Datadog's own explanation, already reduced to one short line. */
  detail?: string;
  attempts: number;
  exitCode?: number;
}

/**
 * Datadog answered in a way the exporter cannot work around: a 4xx other than 401/403/404, or transient
 * failures that outlasted the retries or the call deadline. Exit code 1: unlike a bad key, nothing in the
 * exporter's own configuration fixes it, so it is reported as a failed run rather than a usage error.
 */
export class DatadogApiError extends UserError {
  readonly endpoint: string;
  readonly status: number | undefined;
  readonly detail: string | undefined;
  readonly attempts: number;

  constructor(message: string, details: DatadogApiErrorDetails) {
    super(message, details.exitCode ?? 1);
    this.endpoint = details.endpoint;
    this.status = details.status;
    this.detail = details.detail;
    this.attempts = details.attempts;
  }
}

/** 401/403: the keys, their site or their scopes are wrong. Exit code 2, like any other configuration error. */
export class DatadogAuthError extends DatadogApiError {
  constructor(message: string, details: Omit<DatadogApiErrorDetails, 'exitCode'>) {
    super(message, { ...details, exitCode: 2 });
  }
}

/** Successful status, but the body stayed unparseable or the wrong shape on every attempt. */
export class DatadogMalformedResponseError extends DatadogApiError {}

const MAX_DETAIL_LENGTH = 200;

/**
 * Reduces an error body to one short line. Datadog answers `{"errors":["Bad Request"]}`, JSON:API
 * `{"errors":[{"status","title","detail"}]}`, or, from a gateway, an HTML page.
 */
export function summarizeErrorBody(body: string, contentType?: string | null): string | undefined {
  const trimmed = body.trim();
  if (trimmed === '') return undefined;
  const fromJson = summarizeJsonBody(trimmed);
  if (fromJson !== undefined) return oneLine(fromJson);
  if ((contentType ?? '').includes('html') || /^<(!doctype|html|head|body|title)\b/i.test(trimmed)) {
    const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(trimmed)?.[1];
    const text = title?.trim() ? title : trimmed.replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, ' ');
    return oneLine(decodeEntities(text.replace(/<[^>]*>/g, ' '))) || undefined;
  }
  return oneLine(trimmed) || undefined;
}

function summarizeJsonBody(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed)) return JSON.stringify(parsed);
  const { errors } = parsed;
  if (Array.isArray(errors) && errors.length > 0) {
    return errors.map(describeErrorEntry).filter(Boolean).join('; ');
  }
  for (const key of ['message', 'error', 'detail', 'title']) {
    const value = parsed[key];
    if (typeof value === 'string' && value.trim()) return value;
  }
  return JSON.stringify(parsed);
}

function describeErrorEntry(entry: unknown): string {
  if (typeof entry === 'string') return entry;
  if (!isRecord(entry)) return JSON.stringify(entry);
  const title = typeof entry.title === 'string' ? entry.title.trim() : '';
  const detail = typeof entry.detail === 'string' ? entry.detail.trim() : '';
  if (title && detail && title !== detail) return `${title}: ${detail}`;
  return detail || title || JSON.stringify(entry);
}

function decodeEntities(text: string): string {
  return text
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

/** Collapses whitespace and truncates, so an error message always stays on one line. */
export function oneLine(text: string, maxLength = MAX_DETAIL_LENGTH): string {
  const collapsed = text.replace(/\s+/g, ' ').trim();
  return collapsed.length <= maxLength ? collapsed : `${collapsed.slice(0, maxLength - 1)}…`;
}

/** Replaces every occurrence of a secret, so no message or event can leak a key echoed back by a server. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let redacted = text;
  for (const secret of secrets) {
    // Short values would redact ordinary words and cannot be real keys.
    if (secret.length >= 8) redacted = redacted.split(secret).join('[redacted]');
  }
  return redacted;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
