import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  GetObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  type PutObjectCommandInput,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createEmptyStateDocument,
  StateConflictError,
  type StateDocument,
  type StateStore,
} from '../../lib/state/document';
import { createLocalStateStore } from '../../lib/state/local';
import { createS3StateStore, type StateS3Client, stateObjectKey } from '../../lib/state/s3';
import { type RunningS3rver, startS3rver } from '../support/s3rver';

function sampleDocument(sequence: number, issueIds: string[]): StateDocument {
  const document = createEmptyStateDocument();
  document.sequence = sequence;
  document.baseline_done = true;
  document.watermark = 1_700_000_000_000 + sequence;
  for (const [index, issueId] of issueIds.entries()) {
    document.issues.set(issueId, {
      issue_id: issueId,
      state: index % 2 === 0 ? 'OPEN' : 'RESOLVED',
      assignee_id: index % 3 === 0 ? null : `user-${index}`,
      service: `service-${index % 2}`,
      last_seen_at: index === 0 ? null : 1_700_000_000_000 + index,
      last_checked_at: 1_700_000_100_000 + index,
      state_version: index + 1,
      state_observed_at: 1_699_000_000_000 + index,
    });
  }
  return document;
}

/** Store behaviour every backend must have. */
function describeStoreContract(name: string, createStore: () => StateStore) {
  describe(`${name} contract`, () => {
    it('loads an empty document with a null revision when nothing is stored', async () => {
      const { document, revision } = await createStore().load();
      expect(revision).toBeNull();
      expect(document).toEqual(createEmptyStateDocument());
    });

    it('round-trips a document and returns a new revision on every commit', async () => {
      const store = createStore();
      const first = sampleDocument(1, ['issue-a', 'issue-b', 'issue-c']);
      const firstRevision = await store.commit(first, null);
      const loaded = await store.load();
      expect(loaded.revision).toBe(firstRevision);
      expect(loaded.document).toEqual(first);

      const second = sampleDocument(2, ['issue-a', 'issue-d']);
      const secondRevision = await store.commit(second, firstRevision);
      expect(secondRevision).not.toBe(firstRevision);
      const reloaded = await store.load();
      expect(reloaded.revision).toBe(secondRevision);
      expect([...reloaded.document.issues.keys()]).toEqual(['issue-a', 'issue-d']);
      expect(reloaded.document.sequence).toBe(2);
    });
  });
}

describe('local state store', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'state-local-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  describeStoreContract('local', () => createLocalStateStore(path.join(directory, 'state')));

  it('refuses a commit based on a revision another run replaced, and keeps that run’s state', async () => {
    const store = createLocalStateStore(directory);
    const base = await store.commit(sampleDocument(1, ['issue-a']), null);
    await store.commit(sampleDocument(2, ['issue-b']), base);

    const error = await store.commit(sampleDocument(2, ['issue-c']), base).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StateConflictError);
    expect((error as Error).message).toBe(
      `Another run committed the state at ${directory} first; nothing was committed. Re-run to continue from the newer state.`,
    );
    expect((error as Error).message).not.toContain('\n');
    expect([...(await store.load()).document.issues.keys()]).toEqual(['issue-b']);
  });

  it('refuses a first commit when another run already created the state', async () => {
    const store = createLocalStateStore(directory);
    await store.commit(sampleDocument(1, ['issue-a']), null);
    await expect(store.commit(sampleDocument(1, ['issue-b']), null)).rejects.toBeInstanceOf(
      StateConflictError,
    );
  });

  it('lets exactly one of two concurrent commits from the same revision win', async () => {
    const store = createLocalStateStore(directory);
    const base = await store.commit(sampleDocument(1, ['issue-a']), null);
    const results = await Promise.allSettled([
      store.commit(sampleDocument(2, ['issue-left']), base),
      store.commit(sampleDocument(2, ['issue-right']), base),
    ]);
    const fulfilled = results.filter((result) => result.status === 'fulfilled');
    const rejected = results.filter((result) => result.status === 'rejected');
    expect(fulfilled).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expect((rejected[0] as PromiseRejectedResult).reason).toBeInstanceOf(StateConflictError);
    const winner = results[0]?.status === 'fulfilled' ? 'issue-left' : 'issue-right';
    expect([...(await store.load()).document.issues.keys()]).toEqual([winner]);
  });

  it('reports a held lock file by path and writes nothing', async () => {
    const store = createLocalStateStore(directory);
    const base = await store.commit(sampleDocument(1, ['issue-a']), null);
    await writeFile(path.join(directory, 'state.lock'), '{}');
    const error = await store.commit(sampleDocument(2, ['issue-b']), base).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StateConflictError);
    expect((error as Error).message).toContain(path.join(directory, 'state.lock'));
    expect((await store.load()).revision).toBe(base);
  });

  it('keeps only the current and the previous data file', async () => {
    const store = createLocalStateStore(directory);
    let revision: string | null = null;
    for (let sequence = 1; sequence <= 4; sequence++) {
      revision = await store.commit(sampleDocument(sequence, [`issue-${sequence}`]), revision);
    }
    const dataFiles = (await readdir(directory)).filter((name) => name.endsWith('.json.gz'));
    expect(dataFiles).toHaveLength(2);
    expect(dataFiles).toContain(`state-${revision}.json.gz`);
    expect(await readdir(directory)).not.toContain('state.lock');
  });
});

describe('S3 state store against s3rver', () => {
  let s3: RunningS3rver;
  let prefixCounter = 0;
  beforeAll(async () => {
    s3 = await startS3rver(['state-bucket']);
  });
  afterAll(async () => {
    await s3.close();
  });

  describeStoreContract('s3rver', () =>
    createS3StateStore({ client: s3.client, bucket: 'state-bucket', prefix: `runs/${++prefixCounter}/` }),
  );

  it('stores one object under the prefix', async () => {
    const store = createS3StateStore({ client: s3.client, bucket: 'state-bucket', prefix: 'exports/prod' });
    expect(store.location).toBe('s3://state-bucket/exports/prod/state.json.gz');
    await store.commit(sampleDocument(1, ['issue-a']), null);
    const object = await s3.client.send(
      new GetObjectCommand({ Bucket: 'state-bucket', Key: 'exports/prod/state.json.gz' }),
    );
    expect(object.ContentType).toBe('application/gzip');
  });
});

/**
 * S3 conditional writes at the S3Client boundary: If-None-Match `*` fails when the key exists, If-Match fails
 * when the ETag differs, both with 412 PreconditionFailed, as S3 does. s3rver ignores these headers.
 */
function createConditionalS3Fake() {
  const objects = new Map<string, { body: Uint8Array; etag: string }>();
  let etagCounter = 0;
  const puts: PutObjectCommandInput[] = [];
  const preconditionFailed = () =>
    new S3ServiceException({
      name: 'PreconditionFailed',
      $fault: 'client',
      $metadata: { httpStatusCode: 412 },
      message: 'At least one of the pre-conditions you specified did not hold',
    });
  const client = {
    async send(command: unknown) {
      if (command instanceof GetObjectCommand) {
        const object = objects.get(command.input.Key ?? '');
        if (!object) {
          throw new NoSuchKey({
            $metadata: { httpStatusCode: 404 },
            message: 'The specified key does not exist.',
          });
        }
        return { ETag: object.etag, Body: { transformToByteArray: async () => object.body } };
      }
      if (command instanceof PutObjectCommand) {
        const input = command.input;
        puts.push(input);
        const key = input.Key ?? '';
        const existing = objects.get(key);
        if (input.IfNoneMatch === '*' && existing) throw preconditionFailed();
        if (input.IfMatch !== undefined && existing?.etag !== input.IfMatch) throw preconditionFailed();
        const etag = `"etag-${++etagCounter}"`;
        objects.set(key, { body: input.Body as Uint8Array, etag });
        return { ETag: etag };
      }
      throw new Error(`Unexpected command ${(command as object).constructor.name}`);
    },
  };
  return { client: client as unknown as StateS3Client, objects, puts };
}

describe('S3 state store conditional writes', () => {
  describeStoreContract('conditional fake', () =>
    createS3StateStore({ client: createConditionalS3Fake().client, bucket: 'b', prefix: 'p' }),
  );

  it('creates with If-None-Match * and updates with If-Match of the loaded ETag', async () => {
    const fake = createConditionalS3Fake();
    const store = createS3StateStore({ client: fake.client, bucket: 'b', prefix: '/p/' });
    const first = await store.commit(sampleDocument(1, ['issue-a']), null);
    await store.commit(sampleDocument(2, ['issue-a']), first);
    expect(fake.puts.map((put) => [put.Key, put.IfNoneMatch, put.IfMatch])).toEqual([
      ['p/state.json.gz', '*', undefined],
      ['p/state.json.gz', undefined, first],
    ]);
  });

  it('turns a 412 into StateConflictError and leaves the newer state in place', async () => {
    const fake = createConditionalS3Fake();
    const store = createS3StateStore({ client: fake.client, bucket: 'b', prefix: 'p' });
    const base = await store.commit(sampleDocument(1, ['issue-a']), null);
    await store.commit(sampleDocument(2, ['issue-b']), base);
    const error = await store.commit(sampleDocument(2, ['issue-c']), base).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StateConflictError);
    expect((error as Error).message).toBe(
      'Another run committed the state at s3://b/p/state.json.gz first; nothing was committed. Re-run to continue from the newer state.',
    );
    expect([...(await store.load()).document.issues.keys()]).toEqual(['issue-b']);
  });

  it('treats 409 ConditionalRequestConflict as a conflict too', async () => {
    const client = {
      send: async () => {
        throw new S3ServiceException({
          name: 'ConditionalRequestConflict',
          $fault: 'client',
          $metadata: { httpStatusCode: 409 },
          message: 'A conflicting conditional operation is currently in progress',
        });
      },
    } as unknown as StateS3Client;
    const store = createS3StateStore({ client, bucket: 'b', prefix: '' });
    await expect(store.commit(sampleDocument(1, []), '"x"')).rejects.toBeInstanceOf(StateConflictError);
  });

  it.each([
    ['first run', false],
    ['later run', true],
  ])('lets exactly one of two concurrent %s commits win', async (_label, hasBase) => {
    const fake = createConditionalS3Fake();
    const setup = createS3StateStore({ client: fake.client, bucket: 'b', prefix: 'p' });
    if (hasBase) await setup.commit(sampleDocument(1, ['issue-a']), null);
    const runA = createS3StateStore({ client: fake.client, bucket: 'b', prefix: 'p' });
    const runB = createS3StateStore({ client: fake.client, bucket: 'b', prefix: 'p' });
    const [loadedA, loadedB] = await Promise.all([runA.load(), runB.load()]);
    expect(loadedA.revision).toBe(loadedB.revision);

    const results = await Promise.allSettled([
      runA.commit(sampleDocument(2, ['issue-from-a']), loadedA.revision),
      runB.commit(sampleDocument(2, ['issue-from-b']), loadedB.revision),
    ]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.filter((result) => result.status === 'rejected') as PromiseRejectedResult[];
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.reason).toBeInstanceOf(StateConflictError);
    const winner = results[0]?.status === 'fulfilled' ? 'issue-from-a' : 'issue-from-b';
    expect([...(await setup.load()).document.issues.keys()]).toEqual([winner]);
  });

  it('puts the state object at the bucket root when the prefix is empty', () => {
    expect(stateObjectKey('')).toBe('state.json.gz');
    expect(stateObjectKey('/a/b/')).toBe('a/b/state.json.gz');
  });
});
