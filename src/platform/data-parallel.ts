// Data-parallel gradients over Node's worker threads: the library's
// worker-backed source (src/parallel/source.ts) with worker_threads as its
// workers, each running src/platform/grad-worker.ts.

import type { Tree } from '../graph/index.ts';
import type { KernelName } from '../ops/kernels/by-name.ts';
import type { Source } from '../training/source.ts';
import type { NetworkSource, WorkerInit } from '../parallel/protocol.ts';
import { workerGradients, workerOptionsArg, type WorkerPort } from '../parallel/source.ts';
import { spawnWorker } from './spawn-worker.ts';

export type { NetworkSource };

const spawn = (init: WorkerInit): WorkerPort => {
  const worker = spawnWorker(import.meta.url, 'grad-worker', init, init.network.kind === 'module' && /\.[cm]?ts$/.test(init.network.url));
  // An idle worker does not keep the process alive (a program that never calls close() still ends);
  // one with a call in flight does, or the process could end while the caller awaits its answer.
  // Every message posted gets exactly one answer.
  let calls = 0;
  worker.unref();
  worker.on('message', () => {
    if (calls > 0 && --calls === 0) worker.unref();
  });
  return {
    post: (m, transfer) => {
      if (calls++ === 0) worker.ref();
      worker.postMessage(m, transfer);
    },
    onMessage: (f) => void worker.on('message', f),
    onFailure: (f) => {
      worker.on('error', (e: Error) => f(`failed: ${e.message.split('\n')[0]}`));
      worker.on('exit', (code: number) => f(`exited (code ${code})`));
    },
    terminate: () => worker.terminate(),
  };
};

/** How {@link parallelGradients} splits the work: the network, the kernels and the thread count. */
export interface ParallelOptions {
  /** The network each worker builds: the library's seed network, or an export of a module. */
  readonly network: NetworkSource;
  /** The kernel set each worker runs on, by name. */
  readonly kernels: KernelName;
  /** How many workers; each takes a contiguous share of every batch. */
  readonly threads: number;
}

/**
 * Gradients of each batch split over `threads` worker threads (Node only).
 * `params` is any parameter record of the network, for the layout. The
 * partial gradients are summed in worker order, so a run is deterministic
 * for a given thread count. `close()` ends the workers; until then, idle
 * workers (no call in flight) do not keep the process alive, so a program
 * that forgets `close()` still exits when it is done.
 *
 * @example
 * // net.ts: export const net = serial({ ... });
 * const source = parallelGradients(params, {
 *   network: { kind: 'module', url: new URL('./net.js', import.meta.url).href, export: 'net' },
 *   kernels: 'wasm',
 *   threads: 2,
 * });
 * const r = await fit({ net, optimizer, source, ...rest }, initialState(params, optimizer));
 * await source.close();
 */
export const parallelGradients = <P extends Tree>(template: P, options: ParallelOptions): Source<P> => {
  workerOptionsArg('parallelGradients', options);
  return workerGradients(template, { ...options, spawn });
};
