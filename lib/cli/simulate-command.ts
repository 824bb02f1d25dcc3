import { parseFlags } from '../config';
import { ConfigError } from '../errors';
import {
  DEFAULT_API_KEY,
  DEFAULT_APP_KEY,
  DISTRIBUTIONS,
  type Distribution,
  generateOrg,
  startSimulator,
} from '../simulator';
import type { ExportCommandIo } from './export-command';

const HOUR = 3_600_000;

function wholeNumber(text: string | undefined, flag: string, fallback: number, min = 0): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min)
    throw new ConfigError(`${flag} must be a whole number ≥ ${min}, got ${JSON.stringify(text)}`);
  return value;
}

function fraction(text: string | undefined, flag: string): number {
  if (text === undefined) return 0;
  const value = Number(text);
  if (!(value >= 0 && value <= 1))
    throw new ConfigError(`${flag} must be a fraction from 0 to 1, got ${JSON.stringify(text)}`);
  return value;
}

function rateLimit(text: string | undefined) {
  if (text === undefined) return undefined;
  const match = /^(\d+)\/(\d+)$/.exec(text);
  if (!match || Number(match[1]) < 1 || Number(match[2]) < 1) {
    throw new ConfigError(`--rate-limit takes requests/seconds, e.g. 300/60, got ${JSON.stringify(text)}`);
  }
  return { limit: Number(match[1]), periodSeconds: Number(match[2]) };
}

const ERROR_TYPE_FACETS = ['refused', 'dropped', 'unmatched', 'strict'] as const;
/** How the simulated API treats a request field it may not support (`states`, `track`). */
const FIELD_TREATMENTS = ['applied', 'refused', 'ignored'] as const;
const QUERY_FORMS = ['event-search', 'services-only'] as const;
const RANKINGS = ['all', 'count-only'] as const;
const REFUSAL_STATUSES = ['400', '500'] as const;

function oneOf<T extends string>(
  text: string | undefined,
  flag: string,
  allowed: readonly T[],
): T | undefined {
  if (text === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(text))
    throw new ConfigError(`${flag} must be one of ${allowed.join(', ')}, got ${JSON.stringify(text)}`);
  return text as T;
}

/**
 * How the simulated API treats the `@error.type` facet, the `states` and `track` fields, queries beyond
 * service terms and rankings other than by count, when told to differ from the default: an API that
 * refuses them (with a 400, or a 500), or accepts them without applying them, as some may.
 */
function apiVariant(values: Record<string, string | boolean | undefined>) {
  const text = (flag: string) => (typeof values[flag] === 'string' ? values[flag] : undefined);
  const errorTypes = oneOf(text('error-type-facet'), '--error-type-facet', ERROR_TYPE_FACETS);
  const states = oneOf(text('states-field'), '--states-field', FIELD_TREATMENTS);
  const track = oneOf(text('track-field'), '--track-field', FIELD_TREATMENTS);
  const queryForms = oneOf(text('query-forms'), '--query-forms', QUERY_FORMS);
  const rankings = oneOf(text('rankings'), '--rankings', RANKINGS);
  const refusalStatus = oneOf(text('refusal-status'), '--refusal-status', REFUSAL_STATUSES);
  return {
    ...(errorTypes === 'refused' ? { refusedQueryFields: ['error.type' as const] } : {}),
    ...(errorTypes && errorTypes !== 'refused' ? { ignoredQueryFields: { 'error.type': errorTypes } } : {}),
    ...(states ? { statesAttribute: states } : {}),
    ...(track ? { trackAttribute: track } : {}),
    ...(queryForms ? { queryForms } : {}),
    ...(rankings ? { rankings } : {}),
    ...(refusalStatus ? { refusalStatus: Number(refusalStatus) as 400 | 500 } : {}),
  };
}

/** Serves a generated org on loopback until interrupted, for trying the exporter without a Datadog account. */
export async function simulateCommand(argv: readonly string[], io: ExportCommandIo): Promise<number> {
  const { values } = parseFlags('simulate', argv, {
    port: { type: 'string' },
    issues: { type: 'string' },
    services: { type: 'string' },
    hours: { type: 'string' },
    distribution: { type: 'string' },
    seed: { type: 'string' },
    'rate-limit': { type: 'string' },
    'odd-service-names': { type: 'boolean' },
    'missing-included': { type: 'string' },
    'unknown-enums': { type: 'string' },
    'new-track': { type: 'string' },
    faults: { type: 'string' },
    latency: { type: 'string' },
    'error-type-facet': { type: 'string' },
    'states-field': { type: 'string' },
    'track-field': { type: 'string' },
    'query-forms': { type: 'string' },
    rankings: { type: 'string' },
    'refusal-status': { type: 'string' },
    'max-query-length': { type: 'string' },
  });
  const variant = apiVariant(values);
  const distribution = values.distribution ?? 'uniform';
  if (!(DISTRIBUTIONS as readonly string[]).includes(distribution)) {
    throw new ConfigError(
      `--distribution must be one of ${DISTRIBUTIONS.join(', ')}, got ${JSON.stringify(distribution)}`,
    );
  }
  const to = Math.floor(io.now() / HOUR) * HOUR;
  const from = to - wholeNumber(values.hours, '--hours', 24, 1) * HOUR;
  const org = generateOrg({
    seed: wholeNumber(values.seed, '--seed', 1),
    issues: wholeNumber(values.issues, '--issues', 3000, 1),
    services: wholeNumber(values.services, '--services', 12, 1),
    from,
    to,
    distribution: distribution as Distribution,
    oddServiceNames: values['odd-service-names'] ?? false,
    missingIncludedRate: fraction(values['missing-included'], '--missing-included'),
    unknownEnumRate: fraction(values['unknown-enums'], '--unknown-enums'),
    newTrackRate: fraction(values['new-track'], '--new-track'),
  });
  // The faults a client must retry, in equal shares: a 500, gateway 502 and 503 pages, a cut-off 200.
  const faultShare = fraction(values.faults, '--faults') / 4;
  const simulator = await startSimulator({
    org,
    port: wholeNumber(values.port, '--port', 8126),
    rateLimit: rateLimit(values['rate-limit']),
    faults: {
      serverErrorRate: faultShare,
      badGatewayRate: faultShare,
      serviceUnavailableRate: faultShare,
      truncatedJsonRate: faultShare,
      latencyMs: wholeNumber(values.latency, '--latency', 0),
    },
    ...variant,
    ...(values['max-query-length'] === undefined
      ? {}
      : { maxQueryLength: wholeNumber(values['max-query-length'], '--max-query-length', 0, 100) }),
  });
  io.stderr.write(
    `Simulated Datadog with ${org.issues.length} issues (${distribution}) from ${new Date(from).toISOString()} to ${new Date(to).toISOString()} at ${simulator.url}\n` +
      `Export it with:\n  DD_API_URL=${simulator.url} DD_API_KEY=${DEFAULT_API_KEY} DD_APP_KEY=${DEFAULT_APP_KEY} \\\n` +
      `    npx error-tracking-export export --from ${new Date(from).toISOString()} --to ${new Date(to).toISOString()} --out ./warehouse\n` +
      'Press Ctrl+C to stop.\n',
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await simulator.close();
  return 0;
}
