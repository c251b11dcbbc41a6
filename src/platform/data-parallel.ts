// Data-parallel gradients over worker_threads. The parameters go to the
// workers through one SharedArrayBuffer (written only between steps), each
// worker takes a contiguous share of the batch, and the partial gradients
// come back as transferred buffers. They are summed in worker order, weighted
// by share size, so results are deterministic for a given thread count.

import type { Worker } from 'node:worker_threads';
import type { Tensor } from '../core/tensor.ts';
import type { Tree } from '../graph/index.ts';
import type { Labels } from '../ops/op.ts';
import { layoutOf, layoutSize, packTree, unpackTree } from '../graph/packing.ts';
import type { BatchGrad, GradientSource } from '../training/gradients.ts';
import type { KernelName } from '../ops/kernels/by-name.ts';
import type { NetworkSource, WorkerInit, WorkerReply, WorkerStep } from './grad-worker.ts';
import { spawnWorker } from './spawn-worker.ts';

export type { NetworkSource };

const spawn = (init: WorkerInit): Worker =>
  spawnWorker(import.meta.url, 'grad-worker', init, init.network.kind === 'module' && /\.[cm]?ts$/.test(init.network.url));

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
 * A worker and its one call in flight. Its handlers stay for its whole life,
 * so an error or exit between calls is kept and fails the next call instead
 * of crashing the process (an 'error' with no listener) or hanging it.
 */
interface Slot {
  readonly worker: Worker;
  failure: Error | null;
  pending: { readonly resolve: (r: WorkerReply) => void; readonly reject: (e: Error) => void } | null;
}

/**
 * Gradients of each batch split over `threads` worker threads (Node only).
 * `params` is any parameter record of the network, for the layout. The
 * partial gradients are summed in worker order, so a run is deterministic
 * for a given thread count. `close()` ends the workers.
 *
 * @example
 * // net.ts: export const net = serial({ ... });
 * const gradients = parallelGradients(params, {
 *   network: { kind: 'module', url: new URL('./net.js', import.meta.url).href, export: 'net' },
 *   kernels: 'wasm',
 *   threads: 2,
 * });
 * const r = await fit({ ...setup, gradients }, initialState(params, optimizer));
 * await gradients.close();
 */
export const parallelGradients = <P extends Tree>(template: P, { network, kernels, threads }: ParallelOptions): GradientSource<P> => {
  const init = { network, kernels };
  const layout = layoutOf(template);
  const total = layoutSize(layout);
  const shared = new SharedArrayBuffer(total * 4);
  const flat = new Float32Array(shared);
  let closing = false;
  const slots = Array.from({ length: threads }, (_, i): Slot => {
    const slot: Slot = { worker: spawn({ ...init, layout }), failure: null, pending: null };
    const fail = (why: string): void => {
      slot.failure ??= new Error(`gradient worker ${i + 1} of ${threads} ${why}`);
      slot.pending?.reject(slot.failure);
      slot.pending = null;
    };
    slot.worker.on('error', (e: Error) => fail(`failed: ${e.message.split('\n')[0]}`));
    slot.worker.on('exit', (code: number) => {
      if (!closing) fail(`exited (code ${code})`);
    });
    slot.worker.on('message', (m: WorkerReply) => {
      slot.pending?.resolve(m);
      slot.pending = null;
    });
    return slot;
  });
  const call = (slot: Slot, msg: WorkerStep, transfer: ArrayBuffer[]): Promise<WorkerReply> =>
    new Promise((resolve, reject) => {
      if (slot.failure !== null) return reject(slot.failure);
      slot.pending = { resolve, reject };
      slot.worker.postMessage(msg, transfer);
    });

  const grad = async (params: P, x: Tensor, labels: Labels): Promise<BatchGrad<P>> => {
    packTree(params, layout, flat);
    const n = labels.length;
    const px = x.data.length / n;
    const shares = slots.map((_, i) => [Math.floor((i * n) / slots.length), Math.floor(((i + 1) * n) / slots.length)] as const);
    const replies = await Promise.all(
      shares.map(([a, b], i) => {
        if (b === a) return Promise.resolve(null);
        const xs = (x.data as Float32Array).slice(a * px, b * px);
        const msg: WorkerStep = { params: shared, x: xs, shape: [b - a, ...x.shape.slice(1)], labels: Int32Array.from({ length: b - a }, (_, j) => labels[a + j]!) };
        return call(slots[i]!, msg, [xs.buffer as ArrayBuffer]);
      }),
    );
    const sum = new Float32Array(total);
    let loss = 0;
    let correct = 0;
    replies.forEach((r, i) => {
      if (r === null) return;
      const [a, b] = shares[i]!;
      const w = (b - a) / n;
      loss += w * r.loss;
      correct += r.correct;
      for (let j = 0; j < total; j++) sum[j] += w * r.grads[j]!;
    });
    return { loss, correct, grads: unpackTree(layout, sum, { copy: false, template }) };
  };

  const close = async (): Promise<void> => {
    closing = true;
    await Promise.all(slots.map((s) => s.worker.terminate()));
  };
  return { grad, close };
};
