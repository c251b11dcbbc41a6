// What asks a training run to stop: Ctrl-C (SIGINT), SIGTERM (kill, a
// supervisor), SIGHUP (a closed terminal, a dropped ssh session), SIGQUIT
// (Ctrl-\), or the launcher it was started through gone (npm signalled
// alone). Every one stops the run with its work saved; the exit status is
// what a shell reports for the signal, 128 + its number.

import { watchLaunchers } from '../platform/launcher-watch.ts';

export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

export type StopRequest =
  | { readonly cause: StopSignal }
  /** A launcher (npm, npx, tsx or npm's shell) ended: "npm (PID 123)". */
  | { readonly cause: 'launcher'; readonly launcher: string };

const NUMBERS: Readonly<Record<StopSignal, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGTERM: 15 };

/** The exit status: 128 + the signal; a lost launcher counts as a hang-up. */
export const exitStatus = (r: StopRequest): number => 128 + (r.cause === 'launcher' ? NUMBERS.SIGHUP : NUMBERS[r.cause]);

/** "interrupted", "terminated", ..., as in "interrupted at epoch 0, step 12". */
export const stoppedBy = (r: StopRequest): string =>
  r.cause === 'launcher' ? `stopped (its launcher, ${r.launcher}, is gone)`
    : { SIGINT: 'interrupted', SIGTERM: 'terminated', SIGHUP: 'hung up (SIGHUP)', SIGQUIT: 'quit (SIGQUIT)' }[r.cause];

export interface Stops {
  /** The first request that came before a handler was set, if any. */
  readonly early: () => StopRequest | null;
  /** Hands every request from now on to `f` (an early one first). */
  readonly handle: (f: (r: StopRequest) => void) => void;
}

/**
 * Listens for the stop signals and watches the launchers from now on, so a
 * request during start-up (loading data, claiming the folder) is kept
 * rather than killing the process half-way.
 */
export const listenForStops = (): Stops => {
  let handler: ((r: StopRequest) => void) | null = null;
  let early: StopRequest | null = null;
  const deliver = (r: StopRequest): void => {
    if (handler !== null) handler(r);
    else early ??= r;
  };
  for (const sig of STOP_SIGNALS) process.on(sig, () => deliver({ cause: sig }));
  watchLaunchers((launcher) => deliver({ cause: 'launcher', launcher }));
  return {
    early: () => early,
    handle: (f) => {
      handler = f;
      if (early !== null) f(early);
    },
  };
};
