// Data-parallel gradients over worker_threads. The parameters go to the
// workers through one SharedArrayBuffer (written only between steps), each
// worker takes a contiguous share of the batch, and the partial gradients
// come back as transferred buffers. They are summed in worker order, weighted
// by share size, so results are deterministic for a given thread count.

import { Worker } from 'node:worker_threads';
import { tensor, type Tensor } from '../core/tensor.ts';
import { fromLeaves, leaves, type Tree } from '../graph/index.ts';
import type { BatchGrad, GradientSource } from '../training/gradients.ts';
import type { WorkerInit, WorkerReply, WorkerStep } from './grad-worker.ts';

// Workers do not inherit tsx's loader; each registers it before importing the
// TypeScript worker. Resolved here, from this file, because a bare 'tsx' in the
// worker's eval'd code would be looked up from the current directory. (ESM
// resolution: require.resolve would give the CommonJS build, whose register()
// fails when imported from a worker.)
const tsxApi = (): string => import.meta.resolve('tsx/esm/api');

const spawn = (init: WorkerInit, tsx: string): Worker => {
  const url = new URL('./grad-worker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(url)}); })`;
  return new Worker(boot, { eval: true, workerData: init });
};

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

export const parallelGradients = <P extends Tree>(template: P, init: Omit<WorkerInit, 'layout'>, threads: number): GradientSource<P> => {
  const layout = leaves(template).map(([path, t]) => ({ path, shape: [...t.shape], size: t.data.length }));
  const total = layout.reduce((s, l) => s + l.size, 0);
  const shared = new SharedArrayBuffer(total * 4);
  const flat = new Float32Array(shared);
  const tsx = tsxApi();
  let closing = false;
  const slots = Array.from({ length: threads }, (_, i): Slot => {
    const slot: Slot = { worker: spawn({ ...init, layout }, tsx), failure: null, pending: null };
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

  const grad = async (params: P, x: Tensor, labels: Uint8Array): Promise<BatchGrad<P>> => {
    let off = 0;
    for (const [, t] of leaves(params)) {
      flat.set(t.data as Float32Array, off);
      off += t.data.length;
    }
    const n = labels.length;
    const px = x.data.length / n;
    const shares = slots.map((_, i) => [Math.floor((i * n) / slots.length), Math.floor(((i + 1) * n) / slots.length)] as const);
    const replies = await Promise.all(
      shares.map(([a, b], i) => {
        if (b === a) return Promise.resolve(null);
        const xs = (x.data as Float32Array).slice(a * px, b * px);
        const msg: WorkerStep = { params: shared, x: xs, shape: [b - a, ...x.shape.slice(1)], labels: labels.slice(a, b) };
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
    const offsets = new Map<string, number>();
    layout.reduce((o, l) => (offsets.set(l.path, o), o + l.size), 0);
    const grads = fromLeaves(template, (path) => {
      const l = layout.find((e) => e.path === path)!;
      const o = offsets.get(path)!;
      return tensor(l.shape, sum.slice(o, o + l.size));
    });
    return { loss, correct, grads };
  };

  const close = async (): Promise<void> => {
    closing = true;
    await Promise.all(slots.map((s) => s.worker.terminate()));
  };
  return { grad, close };
};
