// One run per run folder: a lock file, `run.lock`, naming the process that
// trains there (PID, host, start time). It appears whole or not at all (written
// to a temp file, then hard-linked to its name, which fails if the name is
// taken), and it is removed when the process exits, whatever the way short of
// SIGKILL or a power cut; a lock left by a process that is gone is taken over.
// Creating it is also the proof that the folder is writable, before any work.

import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { link, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as t from 'io-ts';
import { IntAtLeast } from './recipe/codecs.ts';
import { readFileUpTo, reason } from '../platform/atomic-write.ts';
import { alive } from './run-dir.ts';

export const LOCK_FILE = 'run.lock';
/** The suffix of a takeover's claim file, `run.lock.<id>.takeover`. */
const CLAIM = '.takeover';

const Owner = t.type({ pid: IntAtLeast(1), host: t.string, started: t.string });
type Owner = t.TypeOf<typeof Owner>;

const code = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | null)?.code;

const describe = (o: Owner): string => `process ${o.pid} on ${o.host} (since ${o.started})`;

/** The lock's holder, or why it cannot be read as one. */
const readOwner = async (path: string): Promise<E.Either<string, Owner | null>> => {
  const bytes = await readFileUpTo(path, { maxBytes: 4096, what: 'a lock file' })();
  if (E.isLeft(bytes)) return bytes.left === 'no such file' ? E.right(null) : E.left(`cannot read ${path}: ${bytes.left}`);
  const parsed = E.tryCatch(() => JSON.parse(new TextDecoder().decode(bytes.right)) as unknown, () => 'not JSON');
  return pipe(parsed, E.chain((u) => E.mapLeft(() => 'no pid, host and start')(Owner.decode(u))),
    E.mapLeft((why) => `${path} is not a lock this program wrote (${why}); remove it if no run uses the folder`));
};

/** Creates the lock with `bytes` unless the name is taken: 'created', 'taken', or why neither. */
const create = async (path: string, bytes: string): Promise<E.Either<string, 'created' | 'taken'>> => {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, bytes, { flag: 'wx' });
    await link(tmp, path);
    return E.right('created');
  } catch (err) {
    return code(err) === 'EEXIST' ? E.right('taken') : E.left(`cannot use ${path}: ${reason(err, path)}`);
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
};

/**
 * Removes a stale lock, if this process is the one to take it over: the
 * one that creates the claim file named for that very lock (its PID, host
 * and start), so of the runs that found it stale at once exactly one
 * removes it, and one that read it late cannot remove the lock that replaced
 * it (the claim stays while the new lock does). 'removed', or 'busy' when
 * another process is taking it over.
 */
const takeOver = async (path: string, stale: Owner): Promise<E.Either<string, 'removed' | 'busy'>> => {
  const id = createHash('sha256').update(`${stale.pid}\n${stale.host}\n${stale.started}`).digest('hex').slice(0, 16);
  const claim = await create(`${path}.${id}${CLAIM}`, `${process.pid}\n`);
  if (E.isLeft(claim) || claim.right === 'taken') return E.map((): 'busy' => 'busy')(claim);
  await unlink(path).catch(() => undefined);
  return E.right('removed');
};

/** The claims of taken-over locks beside `path`, removed with the lock that followed them. */
const removeClaims = (path: string): void => {
  const prefix = `${basename(path)}.`;
  for (const f of readdirSync(dirname(path))) if (f.startsWith(prefix) && f.endsWith(CLAIM)) rmSync(join(dirname(path), f), { force: true });
};

export interface RunLock {
  /** "took over the lock of process 123 on host (...), which is no longer running", or null. */
  readonly note: string | null;
  /** Removes the lock now (it is removed at exit anyway). */
  readonly release: () => void;
}

/**
 * Takes `dir`'s lock for this process, or fails naming the process that
 * holds it (or why the folder cannot be written). The lock goes when the
 * process exits.
 */
export const lockRunFolder = (dir: string): TE.TaskEither<string, RunLock> => async () => {
  const path = join(dir, LOCK_FILE);
  const me: Owner = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
  const bytes = JSON.stringify(me) + '\n';
  let note: string | null = null;
  for (let attempt = 0; attempt < 5; attempt++) {
    const made = await create(path, bytes);
    if (E.isLeft(made)) return made;
    if (made.right === 'created') {
      const release = (): void => {
        process.removeListener('exit', release);
        try {
          // Only our own: a lock taken over after a (wrongly) judged death is the other run's.
          if (readFileSync(path, 'utf8') === bytes) {
            unlinkSync(path);
            removeClaims(path);
          }
        } catch {
          // Already gone.
        }
      };
      process.on('exit', release);
      return E.right({ note, release });
    }
    const owner = await readOwner(path);
    if (E.isLeft(owner)) return owner;
    if (owner.right === null) continue; // Released meanwhile.
    const o = owner.right;
    if (o.host !== me.host) return E.left(`${dir} is in use by ${describe(o)}; if that run has ended, remove ${path}`);
    // Our own PID on a lock we did not take: a process before us had it (a restarted container): gone.
    if (o.pid !== process.pid && alive(o.pid)) {
      return E.left(`${dir} is in use by ${describe(o)}: one run per folder; wait for it to end, or stop it (if that PID is no training run, remove ${path})`);
    }
    const taken = await takeOver(path, o);
    if (E.isLeft(taken)) return taken;
    if (taken.right === 'removed') note = `took over ${path} from ${describe(o)}, which is no longer running`;
    else await new Promise((resolve) => setTimeout(resolve, 50)); // Another run is taking it over: look again.
  }
  return E.left(`${dir}: its lock ${path} is stale, but another process's takeover of it has not finished; if no run uses the folder, remove ${path} and ${path}.*${CLAIM}`);
};
