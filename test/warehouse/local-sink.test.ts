import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalSink, InvalidObjectKeyError } from '../../lib/warehouse/local-sink';
import { temporaryDirectory } from './fixtures';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('createLocalSink', () => {
  let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
  beforeEach(async () => {
    directory = await temporaryDirectory();
  });
  afterEach(async () => {
    await directory.remove();
  });

  it('creates folders, replaces existing objects and leaves no temporary files behind', async () => {
    const sink = createLocalSink(directory.path);
    expect(sink.root).toBe(directory.path);
    await sink.put('issues/service=a%2Fb/dt=2026-01-15/file.parquet', bytes('first'));
    await sink.put('issues/service=a%2Fb/dt=2026-01-15/file.parquet', bytes('second'));
    const folder = join(directory.path, 'issues', 'service=a%2Fb', 'dt=2026-01-15');
    expect(await readdir(folder)).toEqual(['file.parquet']);
    expect(await readFile(join(folder, 'file.parquet'), 'utf8')).toBe('second');
    expect(
      new TextDecoder().decode((await sink.get('issues/service=a%2Fb/dt=2026-01-15/file.parquet'))!),
    ).toBe('second');
  });

  it('returns null for missing objects, including under a missing folder or a file used as a folder', async () => {
    const sink = createLocalSink(directory.path);
    await sink.put('a/b.json', bytes('{}'));
    expect(await sink.get('a/missing.json')).toBeNull();
    expect(await sink.get('missing/x.json')).toBeNull();
    expect(await sink.get('a/b.json/c')).toBeNull();
    expect(await sink.get('a')).toBeNull();
  });

  it('lists keys recursively, sorted, with "/" separators, filtered by string prefix', async () => {
    const sink = createLocalSink(directory.path);
    for (const key of [
      'issues/s=b/x.parquet',
      'issues/s=a/y.parquet',
      '_runs/r2.json',
      '_runs/r1.json',
      'issuesX',
    ]) {
      await sink.put(key, bytes(key));
    }
    // A stray temporary file from an interrupted write is not an object.
    await writeFile(
      join(directory.path, '_runs', '.r3.json.0b9f2c4e-1d2a-4c3b-9e8f-123456789abc.tmp'),
      'partial',
    );
    expect(await sink.list('')).toEqual([
      '_runs/r1.json',
      '_runs/r2.json',
      'issues/s=a/y.parquet',
      'issues/s=b/x.parquet',
      'issuesX',
    ]);
    expect(await sink.list('issues/')).toEqual(['issues/s=a/y.parquet', 'issues/s=b/x.parquet']);
    expect(await sink.list('issues')).toEqual(['issues/s=a/y.parquet', 'issues/s=b/x.parquet', 'issuesX']);
    expect(await sink.list('issues/s=a')).toEqual(['issues/s=a/y.parquet']);
    expect(await sink.list('_runs/r1')).toEqual(['_runs/r1.json']);
    expect(await sink.list('nothing/here/')).toEqual([]);
  });

  it('lists an empty array when the root folder does not exist yet', async () => {
    expect(await createLocalSink(join(directory.path, 'not-yet')).list('')).toEqual([]);
  });

  it('rejects keys that could escape the root', async () => {
    const sink = createLocalSink(directory.path);
    for (const key of ['../outside', 'a/../../b', '/absolute', 'a//b', 'a\\b', '', 'a/./b']) {
      await expect(sink.put(key, bytes('x'))).rejects.toBeInstanceOf(InvalidObjectKeyError);
    }
  });
});
