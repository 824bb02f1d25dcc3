import { describe, expect, it } from 'vitest';
import { epochMsOf } from '../../lib/enumerate/rows';

describe('epochMsOf', () => {
  it('reads epoch milliseconds, the same as a string, and ISO-8601 times', () => {
    const instant = Date.UTC(2026, 10, 3, 4, 5, 6, 7);
    expect(epochMsOf(instant)).toBe(instant);
    expect(epochMsOf(instant + 0.5)).toBe(instant);
    expect(epochMsOf(String(instant))).toBe(instant);
    expect(epochMsOf('2026-11-03T04:05:06.007Z')).toBe(instant);
  });

  it('leaves anything else unknown rather than inventing a time', () => {
    for (const value of [
      null,
      undefined,
      '',
      ' ',
      'yesterday',
      Number.NaN,
      Number.POSITIVE_INFINITY,
      {},
      true,
    ])
      expect(epochMsOf(value)).toBeNull();
  });
});
