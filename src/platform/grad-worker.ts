// One data-parallel worker: builds the network (the seed network, or a
// module's export), then for each message computes the loss and gradient of
// its share of the batch on parameters read from the shared buffer.

import { parentPort, workerData } from 'node:worker_threads';
import { tensor } from '../core/tensor.ts';
import { layoutSize, packTree, unpackTree, type Layout } from '../graph/packing.ts';
import { seedNetwork, valueAndGrad, type InitScheme, type Layer, type Tree } from '../graph/index.ts';
import { kernelsByName, type KernelName } from '../ops/kernels/by-name.ts';
import { countCorrect } from '../training/gradients.ts';

/** Where a worker gets its network: the seed network, or `export` of the module at `url` (a Layer, or a function of no arguments that returns one). */
export type NetworkSource =
  | { readonly kind: 'seed'; readonly init: InitScheme }
  | { readonly kind: 'module'; readonly url: string; readonly export: string };

export interface WorkerInit {
  readonly network: NetworkSource;
  readonly kernels: KernelName;
  readonly layout: Layout;
}
export interface WorkerStep {
  readonly params: SharedArrayBuffer;
  readonly x: Float32Array;
  readonly shape: number[];
  readonly labels: Int32Array;
}
export interface WorkerReply {
  readonly loss: number;
  readonly correct: number;
  readonly grads: Float32Array;
}

type AnyLayer = Layer<Tree>;

const isLayer = (v: unknown): v is AnyLayer =>
  typeof v === 'object' && v !== null && typeof (v as AnyLayer).apply === 'function' && typeof (v as AnyLayer).init === 'function';

const loadNetwork = async (source: NetworkSource): Promise<AnyLayer> => {
  if (source.kind === 'seed') return seedNetwork({ init: source.init }) as unknown as AnyLayer;
  const mod = (await import(source.url)) as Record<string, unknown>;
  const v = mod[source.export];
  const net = typeof v === 'function' ? (v as () => unknown)() : v;
  if (!isLayer(net)) throw new Error(`${source.url}: export "${source.export}" is not a layer (nor a function returning one)`);
  return net;
};

if (parentPort !== null) {
  const port = parentPort;
  const cfg = workerData as WorkerInit;
  const vg = loadNetwork(cfg.network).then((net) => valueAndGrad(net, { kernels: kernelsByName(cfg.kernels) }));
  // A network that fails to load fails the worker: the main thread reports it on the next call.
  vg.catch((err: unknown) => setImmediate(() => { throw err; }));
  port.on('message', (m: WorkerStep) => {
    void vg.then((f) => {
      // Views on the shared parameters: the main thread writes them only between steps.
      const params = unpackTree(cfg.layout, new Float32Array(m.params), { copy: false });
      const r = f(params, { x: tensor(m.shape, m.x), labels: m.labels });
      // Layers without parameters have no leaves, so the gradient record packs in the parameters' layout.
      const grads = new Float32Array(layoutSize(cfg.layout));
      packTree(r.grads, cfg.layout, grads);
      const reply: WorkerReply = { loss: r.loss, correct: countCorrect(r.out, m.labels), grads };
      port.postMessage(reply, [grads.buffer]);
    });
  });
}
