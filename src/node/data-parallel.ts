// Data-parallel gradients over worker_threads. The parameters go to the
// workers through one SharedArrayBuffer (written only between steps), each
// worker takes a contiguous share of the batch, and the partial gradients
// come back as transferred buffers. They are summed in worker order, weighted
// by share size, so results are deterministic for a given thread count.

import { Worker } from 'node:worker_threads';
import { tensor, type Tensor } from '../core/tensor.ts';
import { fromLeaves, leaves, type Tree } from '../graph/index.ts';
import type { BatchGrad, GradientSource } from '../train/gradients.ts';
import type { WorkerInit, WorkerReply, WorkerStep } from './grad-worker.ts';

const spawn = (init: WorkerInit): Worker => {
  const url = new URL('./grad-worker.ts', import.meta.url).href;
  // Workers do not inherit tsx's loader; register it before importing the TypeScript worker.
  const boot = `import('tsx/esm/api').then((api) => { api.register(); return import(${JSON.stringify(url)}); })`;
  return new Worker(boot, { eval: true, workerData: init });
};

export const parallelGradients = <P extends Tree>(template: P, init: Omit<WorkerInit, 'layout'>, threads: number): GradientSource<P> => {
  const layout = leaves(template).map(([path, t]) => ({ path, shape: [...t.shape], size: t.data.length }));
  const total = layout.reduce((s, l) => s + l.size, 0);
  const shared = new SharedArrayBuffer(total * 4);
  const flat = new Float32Array(shared);
  const workers = Array.from({ length: threads }, () => spawn({ ...init, layout }));
  const call = (w: Worker, msg: WorkerStep, transfer: ArrayBuffer[]): Promise<WorkerReply> =>
    new Promise((resolve, reject) => {
      const onError = (e: Error): void => reject(e);
      w.once('error', onError);
      w.once('message', (m: WorkerReply) => {
        w.off('error', onError);
        resolve(m);
      });
      w.postMessage(msg, transfer);
    });

  const grad = async (params: P, x: Tensor, labels: Uint8Array): Promise<BatchGrad<P>> => {
    let off = 0;
    for (const [, t] of leaves(params)) {
      flat.set(t.data as Float32Array, off);
      off += t.data.length;
    }
    const n = labels.length;
    const px = x.data.length / n;
    const shares = workers.map((_, i) => [Math.floor((i * n) / workers.length), Math.floor(((i + 1) * n) / workers.length)] as const);
    const replies = await Promise.all(
      shares.map(([a, b], i) => {
        if (b === a) return Promise.resolve(null);
        const xs = (x.data as Float32Array).slice(a * px, b * px);
        const msg: WorkerStep = { params: shared, x: xs, shape: [b - a, ...x.shape.slice(1)], labels: labels.slice(a, b) };
        return call(workers[i]!, msg, [xs.buffer as ArrayBuffer]);
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

  return { grad, close: async () => void (await Promise.all(workers.map((w) => w.terminate()))) };
};
