import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createSyntheticStateDocument } from '../../lib/state/benchmark';
import { decodeStateDocument, encodeStateDocument } from '../../lib/state/codec';
import { createEmptyStateDocument, STATE_FORMAT_VERSION, StateFormatError } from '../../lib/state/document';

describe('state codec', () => {
  it('round-trips nulls, shared values and every timestamp exactly', async () => {
    const document = createEmptyStateDocument();
    document.watermark = 1_700_000_000_000;
    document.sequence = 7;
    document.baseline_done = true;
    document.issues.set('a', {
      issue_id: 'a',
      state: null,
      assignee_id: null,
      service: null,
      last_seen_at: null,
      last_checked_at: 1_700_000_000_500,
      state_version: 1,
      state_observed_at: 1_600_000_000_000,
    });
    document.issues.set('b', {
      issue_id: 'b',
      state: 'OPEN',
      assignee_id: 'OPEN',
      service: 'checkout',
      last_seen_at: 1_700_000_000_400,
      last_checked_at: 1_700_000_000_500,
      state_version: 3,
      state_observed_at: 1_700_000_000_499,
    });
    expect(await decodeStateDocument(await encodeStateDocument(document), 'test')).toEqual(document);
  });

  it('stores columns behind a shared dictionary in gzip', async () => {
    const document = createSyntheticStateDocument(50);
    const bytes = await encodeStateDocument(document);
    const stored = JSON.parse((await promisify(gunzip)(bytes)).toString('utf8'));
    expect(stored.format_version).toBe(STATE_FORMAT_VERSION);
    expect(stored.issue_id).toEqual([...document.issues.keys()]);
    expect(stored.state.every((index: number) => Number.isInteger(index))).toBe(true);
    expect(await decodeStateDocument(bytes, 'test')).toEqual(document);
  });

  it('refuses a document from a newer format version with a one-line message', async () => {
    const bytes = await promisify(gzip)(JSON.stringify({ format_version: STATE_FORMAT_VERSION + 1 }));
    const error = await decodeStateDocument(bytes, 's3://b/state.json.gz').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StateFormatError);
    expect((error as Error).message).toMatch(
      /^State at s3:\/\/b\/state\.json\.gz cannot be read \(format_version 2/,
    );
  });

  it('refuses bytes that are not gzip and columns of different lengths', async () => {
    await expect(decodeStateDocument(new Uint8Array([1, 2, 3]), 'x')).rejects.toBeInstanceOf(
      StateFormatError,
    );
    const uneven = await promisify(gzip)(
      JSON.stringify({ format_version: 1, values: [], issue_id: ['a'], state: [], assignee_id: [0] }),
    );
    await expect(decodeStateDocument(uneven, 'x')).rejects.toThrow(/different lengths/);
  });
});
