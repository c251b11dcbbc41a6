// stdout and stderr that close or fail under a running program (a pipe into
// `head`, a full disk, a terminal that hung up) must not end it: a training
// run is worth more than its log. The first failure of a stream turns that
// stream off for the rest of the process; everything else goes on.

import { reason } from '../platform/atomic-write.ts';

export interface OutputFailure {
  readonly stream: 'stdout' | 'stderr';
  /** The error's code: EPIPE, ENOSPC, EIO, ... */
  readonly code: string;
  /** One line: "no space left on the device". */
  readonly why: string;
}

/** A write that drops its text and reports success, as a closed stream now does. */
const dropped = ((...args: unknown[]): boolean => {
  const done = args.find((a) => typeof a === 'function') as ((err?: Error | null) => void) | undefined;
  if (done !== undefined) queueMicrotask(() => done(null));
  return true;
}) as NodeJS.WriteStream['write'];

/**
 * Keeps the process alive when stdout or stderr fails: without a listener a
 * stream's 'error' event (EPIPE arrives that way, after the write returned)
 * is an uncaught exception, and a file on a full disk throws from write
 * itself. `onFailure` hears of each stream's first failure once; a
 * stream that failed drops whatever is written to it afterwards.
 */
export const surviveOutputFailures = (onFailure: (f: OutputFailure) => void = () => undefined): void => {
  for (const [name, stream] of [['stdout', process.stdout], ['stderr', process.stderr]] as const) {
    let failed = false;
    const fail = (err: unknown): void => {
      if (failed) return;
      failed = true;
      stream.write = dropped;
      const code = String((err as NodeJS.ErrnoException | null)?.code ?? 'unknown');
      onFailure({ stream: name, code, why: reason(err, name) });
    };
    stream.on('error', fail);
    // A file or a terminal is written synchronously: its failure is thrown by write() itself.
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((...args: unknown[]): boolean => {
      try {
        return write(...args);
      } catch (err) {
        fail(err);
        return true;
      }
    }) as NodeJS.WriteStream['write'];
  }
};
