import { describe, expect, it } from 'vitest';
import { datadogSettingsFromEnvironment, parseExportSettings, parseTime } from '../../lib/config';
import { ConfigError } from '../../lib/errors';

const now = Date.UTC(2026, 10, 27, 12, 0);

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('time parsing', () => {
  it('accepts ISO-8601, dates, epoch milliseconds and relative times', () => {
    expect(parseTime('2026-11-01T00:00:00Z', '--from', now)).toBe(Date.UTC(2026, 10, 1));
    expect(parseTime('2026-11-01T02:00:00+02:00', '--from', now)).toBe(Date.UTC(2026, 10, 1));
    expect(parseTime('2026-11-01T05:00:00', '--from', now)).toBe(Date.UTC(2026, 10, 1, 5));
    expect(parseTime('2026-11-01', '--from', now)).toBe(Date.UTC(2026, 10, 1));
    expect(parseTime('1700000000000', '--from', now)).toBe(1_700_000_000_000);
    expect(parseTime('now-6h', '--from', now)).toBe(now - 6 * 3_600_000);
    expect(parseTime('now', '--to', now)).toBe(now);
  });

  it('names the flag and the accepted forms in one line', () => {
    const error = configError(() => parseTime('yesterday', '--from', now));
    expect(error.message).toBe(
      '--from "yesterday" is not a time: use ISO-8601 (2026-11-01T00:00:00Z), epoch milliseconds, or now-6h',
    );
    expect(error.exitCode).toBe(2);
  });
});

describe('export flags', () => {
  const base = ['--from', '2026-11-01', '--to', '2026-11-02', '--out', 'wh'];

  it('defaults to persona ALL, query *, 1h buckets', () => {
    const settings = parseExportSettings(base, now);
    expect(settings.scopes).toEqual([{ query: '*', persona: 'ALL' }]);
    expect(settings.bucketMs).toBe(3_600_000);
    expect(settings.concurrency).toBe(4);
    expect(settings.stateSplits).toBe(true);
    expect(settings.trackSplits).toBe(true);
    expect(settings.issuePages).toBe(true);
  });

  it('turns state splits off with --no-state-splits, track splits with --no-track-splits', () => {
    expect(parseExportSettings([...base, '--no-state-splits'], now).stateSplits).toBe(false);
    const withoutTracks = parseExportSettings([...base, '--no-track-splits'], now);
    expect(withoutTracks.trackSplits).toBe(false);
    expect(withoutTracks.stateSplits).toBe(true);
    expect(parseExportSettings([...base, '--no-issue-pages'], now).issuePages).toBe(false);
  });

  it('makes one scope per track', () => {
    const settings = parseExportSettings([...base, '--track', 'trace,rum', '--query', 'env:prod'], now);
    expect(settings.scopes).toEqual([
      { query: 'env:prod', track: 'trace' },
      { query: 'env:prod', track: 'rum' },
    ]);
  });

  it.each([
    [
      ['--from', '2026-11-01', '--out', 'wh'],
      'export: --to is required; run `error-tracking-export --help` for usage',
    ],
    [
      [...base, '--persona', 'ROBOTS'],
      '--persona must be one of ALL, BROWSER, MOBILE, BACKEND, got "ROBOTS"',
    ],
    [[...base, '--track', 'trace,apm'], '--track takes a comma list of trace, logs, rum, got "trace,apm"'],
    [
      [...base, '--persona', 'ALL', '--track', 'rum'],
      '--persona and --track cannot be combined: search either a persona or tracks',
    ],
    [[...base, '--concurrency', '0'], '--concurrency must be a whole number from 1 to 32, got "0"'],
    [
      [...base, '--bucket', '7m'],
      '--bucket must divide a day evenly and be at least 1m (for example 15m, 1h, 1d), got 7m',
    ],
    [
      ['--from', '2026-11-02', '--to', '2026-11-01', '--out', 'wh'],
      '--from must be before --to (got 2026-11-02T00:00:00.000Z and 2026-11-01T00:00:00.000Z)',
    ],
  ])('rejects %j with a one-line message', (argv, message) => {
    expect(configError(() => parseExportSettings(argv, now)).message).toBe(message);
  });

  it('rejects unknown flags without a stack trace', () => {
    const error = configError(() => parseExportSettings([...base, '--frm', 'x'], now));
    expect(error.message).toMatch(/^export: Unknown option '--frm'.*--help/);
    expect(error.message).not.toContain('\n');
  });
});

describe('Datadog settings', () => {
  it('names the missing variable and the scope, never a key', () => {
    expect(configError(() => datadogSettingsFromEnvironment({ DD_APP_KEY: 'app-secret' })).message).toBe(
      'DD_API_KEY is not set: export your Datadog API key as DD_API_KEY',
    );
    const error = configError(() => datadogSettingsFromEnvironment({ DD_API_KEY: 'api-secret' }));
    expect(error.message).toContain('error_tracking_read');
    expect(error.message).not.toContain('api-secret');
  });

  it('resolves the site, and lets DD_API_URL override it', () => {
    const keys = { DD_API_KEY: 'k', DD_APP_KEY: 'a' };
    expect(datadogSettingsFromEnvironment({ ...keys, DD_SITE: 'datadoghq.eu' }).baseUrl).toBe(
      'https://api.datadoghq.eu',
    );
    expect(datadogSettingsFromEnvironment(keys).baseUrl).toBe('https://api.datadoghq.com');
    expect(datadogSettingsFromEnvironment({ ...keys, DD_API_URL: 'http://127.0.0.1:8126' }).baseUrl).toMatch(
      /^http:\/\/127\.0\.0\.1:8126\/?$/,
    );
    expect(
      configError(() => datadogSettingsFromEnvironment({ ...keys, DD_SITE: 'datadoghq.moon' })).message,
    ).toContain('datadoghq.moon');
  });
});
