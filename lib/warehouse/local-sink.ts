/**
 * A warehouse in a local folder. Writes go to a temporary file in the target folder and are renamed into
 * place, so a reader (DuckDB, another run) sees either the old file or the new one, never half a file.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { ObjectSink } from './sink';

/** Temporary files are hidden and end in `.tmp`, so `*.parquet` globs and `list` never see them. */
const TEMPORARY_FILE_PATTERN = /^\..+\.[0-9a-f-]{36}\.tmp$/;

export class InvalidObjectKeyError extends Error {
  constructor(key: string) {
    super(
      `Invalid object key ${JSON.stringify(key)}: keys are relative, use "/" and have no empty, "." or ".." parts.`,
    );
    this.name = new.target.name;
  }
}

function keySegments(key: string): string[] {
  const segments = key.split('/');
  if (
    key.includes('\\') ||
    key.includes('\0') ||
    segments.some((segment) => segment === '' || segment === '.' || segment === '..')
  ) {
    throw new InvalidObjectKeyError(key);
  }
  return segments;
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

async function listFilesRecursively(directory: string, keyPrefix: string, keys: string[]): Promise<void> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(directory, { withFileTypes: true });
  } catch (error) {
    if (isMissing(error)) return;
    throw error;
  }
  for (const entry of entries) {
    if (entry.isDirectory()) {
      await listFilesRecursively(join(directory, entry.name), `${keyPrefix}${entry.name}/`, keys);
    } else if (entry.isFile() && !TEMPORARY_FILE_PATTERN.test(entry.name)) {
      keys.push(`${keyPrefix}${entry.name}`);
    }
  }
}

export function createLocalSink(rootDir: string): ObjectSink {
  const root = resolve(rootDir);
  const pathOf = (key: string) => join(root, ...keySegments(key));

  return {
    root,

    async put(key, body) {
      const target = pathOf(key);
      const folder = dirname(target);
      await mkdir(folder, { recursive: true });
      const temporary = join(folder, `.${basename(target)}.${randomUUID()}.tmp`);
      try {
        await writeFile(temporary, body);
        await rename(temporary, target);
      } catch (error) {
        await rm(temporary, { force: true });
        throw error;
      }
    },

    async get(key) {
      try {
        const contents = await readFile(pathOf(key));
        return new Uint8Array(contents.buffer, contents.byteOffset, contents.byteLength);
      } catch (error) {
        if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'EISDIR') return null;
        throw error;
      }
    },

    async delete(key) {
      await rm(pathOf(key), { force: true });
    },

    async list(prefix) {
      // Only the folder the prefix names is walked; the partial last part is matched by string prefix.
      const folderPart = prefix.slice(0, prefix.lastIndexOf('/') + 1);
      const folder = folderPart === '' ? root : join(root, ...keySegments(folderPart.slice(0, -1)));
      const keys: string[] = [];
      await listFilesRecursively(folder, folderPart, keys);
      return keys.filter((key) => key.startsWith(prefix)).sort();
    },
  };
}
