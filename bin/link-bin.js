#!/usr/bin/env node
// npm links the bins of dependencies, not the project's own; this makes `npm ci` leave
// node_modules/.bin/error-tracking-export too, so the CLI works from a clone exactly as once installed.
import { chmod, mkdir, rm, symlink } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'bin', 'error-tracking-export.js');
const link = join(root, 'node_modules', '.bin', 'error-tracking-export');
await mkdir(dirname(link), { recursive: true });
await rm(link, { force: true });
await symlink(relative(dirname(link), target), link);
await chmod(target, 0o755);
