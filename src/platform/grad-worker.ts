// One data-parallel worker: rebuilds the network from its config, then for
// each message computes the loss and gradient of its share of the batch.

import { parentPort, workerData } from 'node:worker_threads';
import { tensor } from '../core/tensor.ts';
import { fromLeaves, leaves, MNIST_SHAPE, valueAndGrad } from '../graph/index.ts';
import { key } from '../core/random.ts';
import { kernelsByName } from '../ops/kernels/by-name.ts';
import { networkFor } from '../training/recipe.ts';
import { countCorrect } from '../training/gradients.ts';

export interface WorkerInit {
  readonly init: 'seed' | 'he';
  readonly kernels: 'wasm' | 'js' | 'reference';
  readonly layout: ReadonlyArray<{ readonly path: string; readonly shape: number[]; readonly size: number }>;
}
export interface WorkerStep {
  readonly params: SharedArrayBuffer;
  readonly x: Float32Array;
  readonly shape: number[];
  readonly labels: Uint8Array;
}
export interface WorkerReply {
  readonly loss: number;
  readonly correct: number;
  readonly grads: Float32Array;
}

if (parentPort !== null) {
  const port = parentPort;
  const cfg = workerData as WorkerInit;
  const net = networkFor(cfg);
  const template = net.init(key(0), MNIST_SHAPE);
  const vg = valueAndGrad(net, kernelsByName(cfg.kernels));
  const offsets = new Map<string, number>();
  cfg.layout.reduce((o, l) => (offsets.set(l.path, o), o + l.size), 0);
  const total = cfg.layout.reduce((s, l) => s + l.size, 0);
  port.on('message', (m: WorkerStep) => {
    const flat = new Float32Array(m.params);
    // Views on the shared parameters: the main thread writes them only between steps.
    const params = fromLeaves(template, (path) => {
      const l = cfg.layout.find((e) => e.path === path)!;
      const o = offsets.get(path)!;
      return tensor(l.shape, flat.subarray(o, o + l.size));
    });
    const r = vg(params, { x: tensor(m.shape, m.x), labels: m.labels });
    const grads = new Float32Array(total);
    let o = 0;
    for (const [, g] of leaves(r.grads)) {
      grads.set(g.data as Float32Array, o);
      o += g.data.length;
    }
    const reply: WorkerReply = { loss: r.loss, correct: countCorrect(r.logits, m.labels), grads };
    port.postMessage(reply, [grads.buffer]);
  });
}
