// Whole-file reads and crash-safe writes for checkpoints and reports. A write
// goes to a temp file in the target's directory and is renamed over the
// target, so a crash or Ctrl-C mid-write leaves the old file or the new one,
// never half of one.

import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { link, mkdir, open, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';

export const reason = (err: unknown, path: string): string => {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return `a parent of ${path} is not a directory`;
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EEXIST':
      return 'already exists';
    default:
      return (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim();
  }
};

/** Best effort: some platforms and filesystems cannot fsync a directory, and the data is already safe in the file. */
const syncDirectory = async (dir: string): Promise<void> => {
  let handle: FileHandle | null = null;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // The rename happened; only its durability across a power cut is less certain.
  } finally {
    await handle?.close().catch(() => undefined);
  }
};

// Temp files being written; removed if the process exits mid-write (a second Ctrl-C).
const inFlight = new Set<string>();
let cleanupOnExit = false;
const track = (tmp: string): void => {
  if (!cleanupOnExit) {
    cleanupOnExit = true;
    process.on('exit', () => {
      for (const t of inFlight) {
        try {
          rmSync(t, { force: true });
        } catch {
          // Exiting anyway; a stray temp file is harmless.
        }
      }
    });
  }
  inFlight.add(tmp);
};

/**
 * Writes `bytes` to `path` whole or not at all. With `exclusive`, fails if
 * `path` exists (a hard link, unlike a rename, never replaces a file), so two
 * writers cannot both create the same file.
 */
export const writeFileAtomic =
  (path: string, bytes: Uint8Array, { exclusive = false } = {}): TE.TaskEither<string, void> =>
  async () => {
    // Same directory, so rename is atomic (one filesystem); pid and random bytes
    // keep concurrent writers (worker threads, two runs) off each other's temp file.
    const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    let handle: FileHandle | null = null;
    track(tmp);
    try {
      handle = await open(tmp, 'wx');
      await handle.writeFile(bytes);
      await handle.sync();
      await handle.close();
      handle = null;
      if (exclusive) {
        await link(tmp, path);
        await unlink(tmp).catch(() => undefined);
      } else {
        await rename(tmp, path);
      }
    } catch (err) {
      await handle?.close().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
      const code = (err as NodeJS.ErrnoException | null)?.code;
      const detail = code === 'ENOENT' ? `directory ${dirname(path)} does not exist` : reason(err, path);
      return E.left(`cannot write ${path}: ${detail}`);
    } finally {
      inFlight.delete(tmp);
    }
    await syncDirectory(dirname(path));
    return E.right(undefined);
  };

export const readFileBytes =
  (path: string): TE.TaskEither<string, Uint8Array> =>
  async () => {
    try {
      const buf = await readFile(path);
      // A plain Uint8Array view, so callers never meet Buffer's view-returning slice().
      return E.right(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException | null)?.code;
      const detail = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a file' : reason(err, path);
      return E.left(`cannot read ${path}: ${detail}`);
    }
  };

/** Creates a directory and its parents; an existing directory is fine. */
export const makeDirectory =
  (dir: string): TE.TaskEither<string, void> =>
  async () => {
    try {
      await mkdir(dir, { recursive: true });
      return E.right(undefined);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException | null)?.code;
      return E.left(`cannot create directory ${dir}: ${code === 'EEXIST' || code === 'ENOTDIR' ? 'a file is in the way' : reason(err, dir)}`);
    }
  };
