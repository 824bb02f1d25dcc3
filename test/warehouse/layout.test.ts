import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/errors';
import {
  escapePartitionValue,
  formatDuration,
  HIVE_DEFAULT_PARTITION,
  issueObjectKey,
  parseDuration,
  unescapePartitionValue,
  utcCompactTimestamp,
  utcDate,
} from '../../lib/warehouse/layout';

describe('escapePartitionValue (Hive FileUtils.escapePathName)', () => {
  it.each([
    ['"', '%22'],
    ['#', '%23'],
    ['%', '%25'],
    ["'", '%27'],
    ['*', '%2A'],
    ['/', '%2F'],
    [':', '%3A'],
    ['=', '%3D'],
    ['?', '%3F'],
    ['\\', '%5C'],
    ['\u007f', '%7F'],
    ['{', '%7B'],
    ['[', '%5B'],
    [']', '%5D'],
    ['^', '%5E'],
  ])('escapes %j as %s', (character, escaped) => {
    expect(escapePartitionValue(`a${character}b`)).toBe(`a${escaped}b`);
  });

  it('escapes every control character 0x00-0x1F with two uppercase hex digits', () => {
    for (let code = 0; code < 0x20; code++) {
      const expected = `%${code.toString(16).toUpperCase().padStart(2, '0')}`;
      expect(escapePartitionValue(String.fromCharCode(code))).toBe(expected);
    }
    expect(escapePartitionValue('tab\there\nnew')).toBe('tab%09here%0Anew');
    expect(escapePartitionValue('\u001f')).toBe('%1F');
  });

  it('leaves other printable ASCII, spaces and non-ASCII text alone', () => {
    const untouched = ' !$&()+,-.;<>@_`|}~ABCxyz019';
    expect(escapePartitionValue(untouched)).toBe(untouched);
    expect(escapePartitionValue('café-サービス-🚀')).toBe('café-サービス-🚀');
    expect(escapePartitionValue('\u0080\u00ff')).toBe('\u0080\u00ff');
  });

  it('maps null, undefined and the empty string to the default partition', () => {
    expect(escapePartitionValue(null)).toBe('__HIVE_DEFAULT_PARTITION__');
    expect(escapePartitionValue(undefined)).toBe(HIVE_DEFAULT_PARTITION);
    expect(escapePartitionValue('')).toBe(HIVE_DEFAULT_PARTITION);
  });

  it('matches a whole value escaped by hand', () => {
    expect(escapePartitionValue('team/a: "x=1"?#50%')).toBe('team%2Fa%3A %22x%3D1%22%3F%2350%25');
  });
});

describe('unescapePartitionValue', () => {
  it('inverts escapePartitionValue for every character class', () => {
    const samples = [
      'plain',
      'a/b:c=d',
      '"#%\'*/:=?\\\u007f{[]^',
      Array.from({ length: 0x20 }, (_, code) => String.fromCharCode(code)).join(''),
      'café-サービス-🚀 with spaces',
      '%41 literal percent sequence',
    ];
    for (const sample of samples) {
      expect(unescapePartitionValue(escapePartitionValue(sample))).toBe(sample);
    }
  });

  it('decodes either hex case, keeps a stray percent, and maps the default partition to null', () => {
    expect(unescapePartitionValue('a%2fb%2Fc')).toBe('a/b/c');
    expect(unescapePartitionValue('100%')).toBe('100%');
    expect(unescapePartitionValue('%zz%4')).toBe('%zz%4');
    expect(unescapePartitionValue(HIVE_DEFAULT_PARTITION)).toBeNull();
  });
});

describe('durations and dates', () => {
  it.each([
    ['30s', 30_000],
    ['15m', 900_000],
    ['90m', 5_400_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
  ])('parses %s and formats it back', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
    expect(formatDuration(ms)).toBe(text);
  });

  it('formats with the largest exact unit', () => {
    expect(formatDuration(7_200_000)).toBe('2h');
    expect(formatDuration(172_800_000)).toBe('2d');
    expect(formatDuration(60_000)).toBe('1m');
    expect(formatDuration(1_500)).toBe('1500ms');
    expect(() => formatDuration(0)).toThrow(RangeError);
  });

  it.each(['', '1', 'h', '0m', '-5m', '1.5h', '1w', '10 minutes', '1h30m'])(
    'rejects %j with a one-line ConfigError',
    (text) => {
      expect(() => parseDuration(text)).toThrow(ConfigError);
      expect(() => parseDuration(text)).toThrow(
        /^Invalid duration ".*": use a positive whole number followed by s, m, h or d/,
      );
      try {
        parseDuration(text);
      } catch (error) {
        expect((error as Error).message).not.toContain('\n');
      }
    },
  );

  it('formats UTC dates and compact timestamps', () => {
    const time = Date.UTC(2026, 0, 5, 23, 30, 5, 999);
    expect(utcDate(time)).toBe('2026-01-05');
    expect(utcCompactTimestamp(time)).toBe('20260105T233005Z');
    expect(utcDate(0)).toBe('1970-01-01');
  });
});

describe('issueObjectKey', () => {
  const bucketStart = Date.UTC(2026, 0, 15, 13, 0, 0);

  it('builds the Hive-partitioned key from service, bucket and scope', () => {
    expect(
      issueObjectKey({ service: 'checkout-api', bucketStart, bucketMs: 3_600_000, scopeId: 'a1b2c3' }),
    ).toBe('issues/service=checkout-api/dt=2026-01-15/20260115T130000Z_1h_a1b2c3.parquet');
    expect(issueObjectKey({ service: 'a/b=c', bucketStart, bucketMs: 900_000, scopeId: 's' })).toBe(
      'issues/service=a%2Fb%3Dc/dt=2026-01-15/20260115T130000Z_15m_s.parquet',
    );
    expect(issueObjectKey({ service: null, bucketStart, bucketMs: 86_400_000, scopeId: 's' })).toBe(
      'issues/service=__HIVE_DEFAULT_PARTITION__/dt=2026-01-15/20260115T130000Z_1d_s.parquet',
    );
  });

  it('is deterministic and separates scopes', () => {
    const input = { service: 'web', bucketStart, bucketMs: 3_600_000, scopeId: 'abc' };
    expect(issueObjectKey(input)).toBe(issueObjectKey({ ...input }));
    expect(issueObjectKey(input)).not.toBe(issueObjectKey({ ...input, scopeId: 'abd' }));
  });

  it('rejects scope ids that would need escaping', () => {
    expect(() =>
      issueObjectKey({ service: 'web', bucketStart, bucketMs: 3_600_000, scopeId: 'a/b' }),
    ).toThrow(RangeError);
    expect(() => issueObjectKey({ service: 'web', bucketStart, bucketMs: 3_600_000, scopeId: '' })).toThrow(
      RangeError,
    );
  });
});
