import { ConfigError } from '../errors';

/** Datadog sites, as the `DD_SITE` values Datadog documents. Each one is a separate installation. */
export const DATADOG_SITES = [
  'datadoghq.com',
  'us3.datadoghq.com',
  'us5.datadoghq.com',
  'datadoghq.eu',
  'ap1.datadoghq.com',
  'ap2.datadoghq.com',
  'uk1.datadoghq.com',
  'ddog-gov.com',
  'us2.ddog-gov.com',
] as const;

export type DatadogSite = (typeof DATADOG_SITES)[number];

export const DEFAULT_DATADOG_SITE: DatadogSite = 'datadoghq.com';

// The first site of each region predates the `<region>.<domain>` naming, so its web UI lives on `app.`.
const APP_HOST_OVERRIDES: Partial<Record<DatadogSite, string>> = {
  'datadoghq.com': 'app.datadoghq.com',
  'datadoghq.eu': 'app.datadoghq.eu',
  'ddog-gov.com': 'app.ddog-gov.com',
};

export function isDatadogSite(value: string): value is DatadogSite {
  return (DATADOG_SITES as readonly string[]).includes(value);
}

/** Normalizes a `DD_SITE` value; empty means the default site. Throws `ConfigError` for unknown sites. */
export function parseSite(site: string | undefined): DatadogSite {
  const normalized = (site ?? '').trim().toLowerCase();
  if (normalized === '') return DEFAULT_DATADOG_SITE;
  if (isDatadogSite(normalized)) return normalized;
  throw new ConfigError(
    `Unknown Datadog site ${JSON.stringify(truncate(site ?? '', 80))}: set DD_SITE to one of ${DATADOG_SITES.join(', ')}`,
  );
}

/**
 * The API base URL without a trailing slash. An explicit `apiUrl` (`DD_API_URL`, used for the simulator or a
 * proxy) wins over `site`.
 */
export function resolveBaseUrl(options: { site?: string; apiUrl?: string }): string {
  const apiUrl = options.apiUrl?.trim();
  if (apiUrl) return parseApiUrl(apiUrl);
  return `https://api.${parseSite(options.site)}`;
}

/** Web UI origin for links to issues, e.g. `https://app.datadoghq.com` or `https://us3.datadoghq.com`. */
export function appBaseUrl(site?: string): string {
  const parsed = parseSite(site);
  return `https://${APP_HOST_OVERRIDES[parsed] ?? parsed}`;
}

function parseApiUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(
      `DD_API_URL must be an http(s) URL such as https://api.datadoghq.com, got ${JSON.stringify(truncate(value, 80))}`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`DD_API_URL must use http or https, got ${url.protocol.replace(':', '')}`);
  }
  // Credentials in the URL would end up in error messages and logs; keys belong in DD_API_KEY/DD_APP_KEY.
  if (url.username || url.password) {
    throw new ConfigError(
      'DD_API_URL must not contain credentials: put the keys in DD_API_KEY and DD_APP_KEY',
    );
  }
  if (url.search || url.hash) {
    throw new ConfigError(
      'DD_API_URL must not have a query string or fragment, e.g. https://api.datadoghq.com',
    );
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function truncate(value: string, maxLength: number): string {
  return value.length <= maxLength ? value : `${value.slice(0, maxLength - 1)}…`;
}
