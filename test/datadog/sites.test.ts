import { describe, expect, it } from 'vitest';
import { appBaseUrl, DATADOG_SITES, resolveBaseUrl } from '../../lib/datadog/sites';
import { ConfigError } from '../../lib/errors';

describe('resolveBaseUrl', () => {
  it('defaults to the US1 site', () => {
    expect(resolveBaseUrl({})).toBe('https://api.datadoghq.com');
    expect(resolveBaseUrl({ site: '' })).toBe('https://api.datadoghq.com');
  });

  it('maps every documented site to https://api.<site>', () => {
    expect(DATADOG_SITES.map((site) => resolveBaseUrl({ site }))).toEqual([
      'https://api.datadoghq.com',
      'https://api.us3.datadoghq.com',
      'https://api.us5.datadoghq.com',
      'https://api.datadoghq.eu',
      'https://api.ap1.datadoghq.com',
      'https://api.ap2.datadoghq.com',
      'https://api.uk1.datadoghq.com',
      'https://api.ddog-gov.com',
      'https://api.us2.ddog-gov.com',
    ]);
  });

  it('accepts a site with surrounding spaces or capitals', () => {
    expect(resolveBaseUrl({ site: ' DatadogHQ.eu ' })).toBe('https://api.datadoghq.eu');
  });

  it('rejects an unknown site with a message that lists the valid ones', () => {
    expect(() => resolveBaseUrl({ site: 'app.datadoghq.com' })).toThrow(ConfigError);
    expect(() => resolveBaseUrl({ site: 'app.datadoghq.com' })).toThrow(
      'Unknown Datadog site "app.datadoghq.com": set DD_SITE to one of datadoghq.com, us3.datadoghq.com, ' +
        'us5.datadoghq.com, datadoghq.eu, ap1.datadoghq.com, ap2.datadoghq.com, uk1.datadoghq.com, ' +
        'ddog-gov.com, us2.ddog-gov.com',
    );
  });

  it('lets an explicit API URL win over the site, without a trailing slash', () => {
    expect(resolveBaseUrl({ site: 'datadoghq.eu', apiUrl: 'http://127.0.0.1:8126/' })).toBe(
      'http://127.0.0.1:8126',
    );
    expect(resolveBaseUrl({ apiUrl: 'https://proxy.example.com/datadog/' })).toBe(
      'https://proxy.example.com/datadog',
    );
  });

  it('ignores an empty API URL', () => {
    expect(resolveBaseUrl({ site: 'us5.datadoghq.com', apiUrl: ' ' })).toBe('https://api.us5.datadoghq.com');
  });

  it('rejects API URLs that are not plain http(s)', () => {
    expect(() => resolveBaseUrl({ apiUrl: 'api.datadoghq.com' })).toThrow(
      'DD_API_URL must be an http(s) URL such as https://api.datadoghq.com, got "api.datadoghq.com"',
    );
    expect(() => resolveBaseUrl({ apiUrl: 'ftp://api.datadoghq.com' })).toThrow(
      'DD_API_URL must use http or https, got ftp',
    );
    expect(() => resolveBaseUrl({ apiUrl: 'https://user:secret@api.datadoghq.com' })).toThrow(
      'DD_API_URL must not contain credentials: put the keys in DD_API_KEY and DD_APP_KEY',
    );
    expect(() => resolveBaseUrl({ apiUrl: 'https://api.datadoghq.com?x=1' })).toThrow(ConfigError);
  });
});

describe('appBaseUrl', () => {
  it('links to the web UI of each site', () => {
    expect(DATADOG_SITES.map((site) => appBaseUrl(site))).toEqual([
      'https://app.datadoghq.com',
      'https://us3.datadoghq.com',
      'https://us5.datadoghq.com',
      'https://app.datadoghq.eu',
      'https://ap1.datadoghq.com',
      'https://ap2.datadoghq.com',
      'https://uk1.datadoghq.com',
      'https://app.ddog-gov.com',
      'https://us2.ddog-gov.com',
    ]);
    expect(appBaseUrl()).toBe('https://app.datadoghq.com');
  });

  it('rejects an unknown site', () => {
    expect(() => appBaseUrl('example.com')).toThrow(ConfigError);
  });
});
