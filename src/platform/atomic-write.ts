// Whole-file reads, each with a size limit, and crash-safe writes for
// checkpoints and reports. A write goes to a temp file in the target's
// directory and is renamed over the target, so a crash or Ctrl-C mid-write
// leaves the old file or the new one, never half of one.

import { randomBytes } from 'node:crypto';
import { constants, rmSync, type Stats } from 'node:fs';
import { link, mkdir, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';
import { showBytes, type ReadLimit } from '../formats/limits.ts';

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
    case 'ELOOP':
      return 'too many levels of symbolic links (a symlink loop)';
    case 'EPIPE':
      return 'the reader closed the pipe';
    case 'EIO':
      return 'input/output error (a terminal that hung up, or a failing device)';
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

const CHUNK_BYTES = 64 * 1024;

/** What a path that is not a regular file is, for "is not a regular file (a FIFO)". */
const kindOf = (st: Stats): string =>
  st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket'
    : st.isCharacterDevice() ? 'a character device' : st.isBlockDevice() ? 'a block device' : 'not a file';

/** The one line for a path that is not a regular file. */
export const notRegular = (st: Stats): string => `is not a regular file (${kindOf(st)})`;

/**
 * The whole file, if it is a regular file of at most `limit.maxBytes`. A
 * larger one is refused by its size before a byte is read, and one that
 * grows meanwhile is read only up to the limit. Anything else (a FIFO, which
 * would wait for a writer forever, a socket, a device, a directory) is
 * refused before it is opened, and opened without waiting in case it is
 * swapped in meanwhile. Fails with the reason, one line, without the path.
 */
export const readFileUpTo =
  (path: string, limit: ReadLimit): TE.TaskEither<string, Uint8Array> =>
  async () => {
    const tooLarge = `more than ${showBytes(limit.maxBytes)}, the limit for ${limit.what}`;
    let handle: FileHandle | null = null;
    try {
      const before = await stat(path);
      if (!before.isFile()) return E.left(notRegular(before));
      handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
      const st = await handle.stat();
      if (!st.isFile()) return E.left(notRegular(st));
      if (st.size > limit.maxBytes) return E.left(tooLarge);
      // Plain Uint8Arrays, not Buffers: callers never meet Buffer's view-returning slice() or its shared pool.
      const chunks: Uint8Array[] = [];
      let total = 0;
      for (;;) {
        const size = chunks.length === 0 && st.size > 0 ? st.size : CHUNK_BYTES;
        const chunk = new Uint8Array(Math.min(size, limit.maxBytes + 1 - total));
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
        if (bytesRead === 0) break;
        total += bytesRead;
        if (total > limit.maxBytes) return E.left(tooLarge);
        chunks.push(bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead));
      }
      if (chunks.length === 1 && chunks[0]!.byteLength === chunks[0]!.buffer.byteLength) return E.right(chunks[0]!);
      const out = new Uint8Array(total);
      let at = 0;
      for (const c of chunks) {
        out.set(c, at);
        at += c.length;
      }
      return E.right(out);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException | null)?.code;
      return E.left(code === 'ENOENT' ? 'no such file' : reason(err, path));
    } finally {
      await handle?.close().catch(() => undefined);
    }
  };

/**
 * The whole file, as {@link readFileUpTo} reads it when given a limit (every
 * read of the program gives one); fails with "cannot read PATH: why".
 */
export const readFileBytes = (path: string, limit: ReadLimit = { maxBytes: Number.MAX_SAFE_INTEGER, what: 'a file' }): TE.TaskEither<string, Uint8Array> =>
  async () => {
    const r = await readFileUpTo(path, limit)();
    return E.isLeft(r) ? E.left(`cannot read ${path}: ${r.left}`) : r;
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
