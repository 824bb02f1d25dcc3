/**
 * Object keys of the warehouse. Partition folders follow Hive's naming rules exactly, so Athena, Glue,
 * Spark and DuckDB all agree on which value a `service=` folder stands for.
 */
import { ConfigError } from '../errors';

/** Hive's folder name for a null (or empty) partition value. */
export const HIVE_DEFAULT_PARTITION = '__HIVE_DEFAULT_PARTITION__';

/**
 * The characters Hive's `FileUtils.escapePathName` percent-encodes: every control character below 0x20
 * (Hive's table starts at 0x00), the ASCII punctuation `" # % ' * / : = ? \ { [ ] ^` and DEL. Everything
 * else, including spaces and non-ASCII text, is kept as is.
 */
const HIVE_ESCAPED_CHARACTERS = new Set<number>([
  ...Array.from({ length: 0x20 }, (_, code) => code),
  ...Array.from('"#%\'*/:=?\\\u007f{[]^', (character) => character.charCodeAt(0)),
]);

/** Hive's `escapePathName`: `null`, `undefined` and `''` become `__HIVE_DEFAULT_PARTITION__`. */
export function escapePartitionValue(value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return HIVE_DEFAULT_PARTITION;
  let escaped = '';
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    escaped += HIVE_ESCAPED_CHARACTERS.has(code)
      ? `%${code.toString(16).toUpperCase().padStart(2, '0')}`
      : value[index];
  }
  return escaped;
}

/**
 * Hive's `unescapePathName`: `%XX` (either hex case) becomes the character; a `%` without two hex digits
 * after it stays. The default-partition marker becomes `null`.
 */
export function unescapePartitionValue(text: string): string | null {
  if (text === HIVE_DEFAULT_PARTITION) return null;
  return text.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) =>
    String.fromCharCode(Number.parseInt(hex, 16)),
  );
}

/** One `name=value` path segment with the value escaped. */
export function partitionSegment(name: string, value: string | null | undefined): string {
  return `${name}=${escapePartitionValue(value)}`;
}

function assertFiniteTime(ms: number, what: string): void {
  if (!Number.isFinite(ms))
    throw new RangeError(`${what} must be a finite epoch-millisecond time, got ${ms}.`);
}

/** `YYYY-MM-DD` of an epoch-millisecond time, in UTC. */
export function utcDate(ms: number): string {
  assertFiniteTime(ms, 'utcDate input');
  return new Date(ms).toISOString().slice(0, 10);
}

/** `YYYYMMDDTHHMMSSZ` of an epoch-millisecond time, in UTC (the ISO 8601 basic format). */
export function utcCompactTimestamp(ms: number): string {
  assertFiniteTime(ms, 'Timestamp input');
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
}

const DURATION_UNITS: readonly (readonly [suffix: string, ms: number])[] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
];

/** The shortest exact form: 3600000 → `1h`, 5400000 → `90m`, 86400000 → `1d`; `ms` for sub-second rests. */
export function formatDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms <= 0)
    throw new RangeError(`Duration must be a positive whole number of ms, got ${ms}.`);
  for (const [suffix, unitMs] of DURATION_UNITS) {
    if (ms % unitMs === 0) return `${ms / unitMs}${suffix}`;
  }
  return `${ms}ms`;
}

/** `30s`, `15m`, `90m`, `1h`, `1d` → milliseconds. */
export function parseDuration(text: string): number {
  const match = /^\s*(\d+)\s*([smhd])\s*$/.exec(text);
  const unitMs = match ? DURATION_UNITS.find(([suffix]) => suffix === match[2])?.[1] : undefined;
  const amount = match ? Number(match[1]) : Number.NaN;
  if (!match || unitMs === undefined || amount <= 0 || !Number.isSafeInteger(amount * unitMs)) {
    throw new ConfigError(
      `Invalid duration "${text}": use a positive whole number followed by s, m, h or d, for example 15m, 1h or 1d.`,
    );
  }
  return amount * unitMs;
}

export interface IssueObjectKeyInput {
  /** Raw service name; escaped here. */
  service: string | null | undefined;
  /** Bucket start, epoch ms, UTC. */
  bucketStart: number;
  bucketMs: number;
  /** Short stable hash of the search scope, so different scopes never overwrite each other's files. */
  scopeId: string;
}

/** Letters, digits, `-` and `_`: safe in file names on every store and never in need of escaping. */
const SCOPE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const ISSUES_PREFIX = 'issues/';

/**
 * `issues/service=<escaped>/dt=<YYYY-MM-DD>/<YYYYMMDDTHHMMSSZ>_<duration>_<scopeId>.parquet`. The key is a
 * pure function of bucket, service and scope, so re-exporting a bucket overwrites its files.
 */
export function issueObjectKey({ service, bucketStart, bucketMs, scopeId }: IssueObjectKeyInput): string {
  if (!SCOPE_ID_PATTERN.test(scopeId)) {
    throw new RangeError(`scopeId must be 1-64 letters, digits, "-" or "_", got ${JSON.stringify(scopeId)}.`);
  }
  const fileName = `${utcCompactTimestamp(bucketStart)}_${formatDuration(bucketMs)}_${scopeId}.parquet`;
  return `${ISSUES_PREFIX}${partitionSegment('service', service)}/dt=${utcDate(bucketStart)}/${fileName}`;
}
