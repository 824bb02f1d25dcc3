import { parseArgs } from 'node:util';
import { resolveBaseUrl } from './datadog/sites';
import { PERSONAS, type Persona, TRACKS, type Track } from './datadog/types';
import type { SearchScope } from './enumerate/scope';
import { ConfigError } from './errors';
import { parseDuration } from './warehouse/layout';

/**
 * Every setting a run reads, parsed and validated once. The CLI reads flags and the environment; the
 * Lambda reads its environment and a secret. Both produce these types, and nothing else reads settings.
 */
export interface DatadogSettings {
  readonly baseUrl: string;
  readonly site: string;
  readonly apiKey: string;
  readonly appKey: string;
}

export interface ExportSettings {
  readonly from: number;
  readonly to: number;
  readonly bucketMs: number;
  readonly scopes: readonly SearchScope[];
  readonly concurrency: number;
  readonly out: string;
  readonly state?: string;
  readonly events?: string;
  /** Whether a window may be divided by `states`; see `ExportOptions.stateSplits`. */
  readonly stateSplits: boolean;
  /** Whether a window may be divided by `track`; see `ExportOptions.trackSplits`. */
  readonly trackSplits: boolean;
  /** Whether a saturated window may be paged by issue id; see `ExportOptions.issuePages`. */
  readonly issuePages: boolean;
}

const HELP_HINT = 'run `error-tracking-export --help` for usage';
const RELATIVE_TIME = /^now(?:-(\d+)([smhdw]))?$/;
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Accepts ISO-8601 (`2026-11-01T00:00:00Z`, `2026-11-01`), epoch milliseconds, `now` or `now-6h`. */
export function parseTime(text: string, flag: string, now: number): number {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const relative = RELATIVE_TIME.exec(trimmed);
  if (relative) return relative[1] ? now - Number(relative[1]) * UNIT_MS[relative[2]!]! : now;
  if (/^\d{4}-\d{2}-\d{2}/.test(trimmed)) {
    const hasZone = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(trimmed) || /^\d{4}-\d{2}-\d{2}$/.test(trimmed);
    const parsed = Date.parse(hasZone ? trimmed : `${trimmed}Z`);
    if (!Number.isNaN(parsed)) return parsed;
  }
  throw new ConfigError(
    `${flag} ${JSON.stringify(text)} is not a time: use ISO-8601 (2026-11-01T00:00:00Z), epoch milliseconds, or now-6h`,
  );
}

function positiveInteger(text: string, flag: string, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new ConfigError(`${flag} must be a whole number from 1 to ${max}, got ${JSON.stringify(text)}`);
  }
  return value;
}

export function parsePersona(text: string): Persona {
  const upper = text.trim().toUpperCase();
  if (!(PERSONAS as readonly string[]).includes(upper)) {
    throw new ConfigError(`--persona must be one of ${PERSONAS.join(', ')}, got ${JSON.stringify(text)}`);
  }
  return upper as Persona;
}

export function parseTracks(text: string): Track[] {
  const tracks = text
    .split(',')
    .map((track) => track.trim().toLowerCase())
    .filter(Boolean);
  const unknown = tracks.filter((track) => !(TRACKS as readonly string[]).includes(track));
  if (tracks.length === 0 || unknown.length > 0) {
    throw new ConfigError(`--track takes a comma list of ${TRACKS.join(', ')}, got ${JSON.stringify(text)}`);
  }
  return [...new Set(tracks)] as Track[];
}

export function searchScopes(
  query: string,
  persona: string | undefined,
  tracks: string | undefined,
): SearchScope[] {
  if (persona !== undefined && tracks !== undefined) {
    throw new ConfigError('--persona and --track cannot be combined: search either a persona or tracks');
  }
  const normalizedQuery = query.trim() || '*';
  if (tracks !== undefined) return parseTracks(tracks).map((track) => ({ query: normalizedQuery, track }));
  return [{ query: normalizedQuery, persona: parsePersona(persona ?? 'ALL') }];
}

export function datadogSettingsFromEnvironment(
  environment: NodeJS.ProcessEnv,
  keys?: { apiKey?: string; appKey?: string },
): DatadogSettings {
  const site = environment.DD_SITE?.trim() || 'datadoghq.com';
  const baseUrl = resolveBaseUrl({ site, apiUrl: environment.DD_API_URL?.trim() || undefined });
  const apiKey = keys?.apiKey ?? environment.DD_API_KEY?.trim();
  const appKey = keys?.appKey ?? environment.DD_APP_KEY?.trim();
  if (!apiKey) throw new ConfigError('DD_API_KEY is not set: export your Datadog API key as DD_API_KEY');
  if (!appKey) {
    throw new ConfigError(
      'DD_APP_KEY is not set: export a Datadog application key with the error_tracking_read scope as DD_APP_KEY',
    );
  }
  return { baseUrl, site, apiKey, appKey };
}

/** `parseArgs` with its errors turned into one-line configuration errors. */
export function parseFlags<T extends NonNullable<Parameters<typeof parseArgs>[0]>['options']>(
  command: string,
  argv: readonly string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals });
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new ConfigError(`${command}: ${message}; ${HELP_HINT}`);
  }
}

export const EXPORT_FLAGS = {
  from: { type: 'string' },
  to: { type: 'string' },
  out: { type: 'string' },
  state: { type: 'string' },
  events: { type: 'string' },
  query: { type: 'string' },
  persona: { type: 'string' },
  track: { type: 'string' },
  bucket: { type: 'string' },
  concurrency: { type: 'string' },
  'no-state-splits': { type: 'boolean' },
  'no-track-splits': { type: 'boolean' },
  'no-issue-pages': { type: 'boolean' },
} as const;

export function parseExportSettings(argv: readonly string[], now: number): ExportSettings {
  const { values } = parseFlags('export', argv, EXPORT_FLAGS);
  for (const required of ['from', 'to', 'out'] as const) {
    if (!values[required]) throw new ConfigError(`export: --${required} is required; ${HELP_HINT}`);
  }
  const from = parseTime(values.from!, '--from', now);
  const to = parseTime(values.to!, '--to', now);
  if (from >= to)
    throw new ConfigError(
      `--from must be before --to (got ${new Date(from).toISOString()} and ${new Date(to).toISOString()})`,
    );
  const bucketMs = parseDuration(values.bucket ?? '1h');
  if (bucketMs < 60_000 || 86_400_000 % bucketMs !== 0) {
    throw new ConfigError(
      `--bucket must divide a day evenly and be at least 1m (for example 15m, 1h, 1d), got ${values.bucket}`,
    );
  }
  return {
    from,
    to,
    bucketMs,
    scopes: searchScopes(values.query ?? '*', values.persona, values.track),
    concurrency: positiveInteger(values.concurrency ?? '4', '--concurrency', 32),
    out: values.out!,
    ...(values.state ? { state: values.state } : {}),
    ...(values.events ? { events: values.events } : {}),
    stateSplits: values['no-state-splits'] !== true,
    trackSplits: values['no-track-splits'] !== true,
    issuePages: values['no-issue-pages'] !== true,
  };
}
