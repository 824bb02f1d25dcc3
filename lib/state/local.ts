/**
 * State in a local folder. The commit point is one atomic rename of a small pointer file (`state.current`)
 * that names the data file of the current revision, so a crash mid-commit leaves the previous state intact.
 * Concurrent commits are serialised by a lock file created with `wx` (fails if it exists), and a commit
 * is refused when the pointer no longer names the revision the document was loaded from.
 */

import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { decodeStateDocument, encodeStateDocument } from './codec';
import {
  createEmptyStateDocument,
  StateConflictError,
  type StateDocument,
  type StateStore,
} from './document';

const POINTER_FILE = 'state.current';
const LOCK_FILE = 'state.lock';
const DATA_FILE_PATTERN = /^state-([\w-]+)\.json\.gz$/;
/** A commit may delete the data file a concurrent load just read the pointer to; the load then retries. */
const LOAD_ATTEMPTS = 3;

const dataFileName = (revision: string) => `state-${revision}.json.gz`;

const isErrorCode = (error: unknown, code: string) => (error as NodeJS.ErrnoException | null)?.code === code;

export function createLocalStateStore(directory: string): StateStore {
  const root = path.resolve(directory);
  const pointerPath = path.join(root, POINTER_FILE);
  const lockPath = path.join(root, LOCK_FILE);

  const readCurrentRevision = async (): Promise<string | null> => {
    try {
      const revision = (await readFile(pointerPath, 'utf8')).trim();
      return revision === '' ? null : revision;
    } catch (error) {
      if (isErrorCode(error, 'ENOENT')) return null;
      throw error;
    }
  };

  const writeFileDurably = async (finalPath: string, contents: Uint8Array | string) => {
    const temporaryPath = `${finalPath}.${randomBytes(6).toString('hex')}.tmp`;
    const handle = await open(temporaryPath, 'wx');
    try {
      await handle.writeFile(contents);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporaryPath, finalPath);
  };

  const removeDataFilesExcept = async (keep: ReadonlySet<string>) => {
    for (const name of await readdir(root)) {
      const match = DATA_FILE_PATTERN.exec(name);
      if (match && !keep.has(match[1]!)) await rm(path.join(root, name), { force: true });
    }
  };

  return {
    location: root,

    async load() {
      for (let attempt = 1; ; attempt++) {
        const revision = await readCurrentRevision();
        if (revision === null) return { document: createEmptyStateDocument(), revision: null };
        try {
          const bytes = await readFile(path.join(root, dataFileName(revision)));
          return { document: await decodeStateDocument(bytes, root), revision };
        } catch (error) {
          if (!isErrorCode(error, 'ENOENT') || attempt >= LOAD_ATTEMPTS) throw error;
        }
      }
    },

    async commit(document: StateDocument, revision: string | null) {
      // Encode before locking so the lock is held for file operations only.
      const bytes = await encodeStateDocument(document);
      await mkdir(root, { recursive: true });
      let lock: Awaited<ReturnType<typeof open>>;
      try {
        lock = await open(lockPath, 'wx');
      } catch (error) {
        if (isErrorCode(error, 'EEXIST')) {
          throw new StateConflictError(
            root,
            `Another run is committing the state at ${root} (lock file ${lockPath} exists; delete it if no run is active)`,
          );
        }
        throw error;
      }
      try {
        await lock.writeFile(JSON.stringify({ pid: process.pid, locked_at: new Date().toISOString() }));
        if ((await readCurrentRevision()) !== revision) throw new StateConflictError(root);
        const newRevision = `${document.sequence}-${randomBytes(8).toString('hex')}`;
        await writeFileDurably(path.join(root, dataFileName(newRevision)), bytes);
        await writeFileDurably(pointerPath, `${newRevision}\n`);
        // The previous revision's file stays as a one-step backup.
        await removeDataFilesExcept(new Set(revision === null ? [newRevision] : [newRevision, revision]));
        return newRevision;
      } finally {
        await lock.close();
        await unlink(lockPath).catch(() => undefined);
      }
    },
  };
}
