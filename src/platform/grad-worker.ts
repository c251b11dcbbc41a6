// One data-parallel worker: builds the network (the seed network, or a
// module's export), then for each message computes the loss and gradient of
// its share of the batch on parameters read from the shared buffer.

import { parentPort, workerData } from 'node:worker_threads';
import { tensor, type Tensor } from '../core/tensor.ts';
import { leaves, seedNetwork, valueAndGrad, type InitScheme, type Layer, type Tree } from '../graph/index.ts';
import { kernelsByName, type KernelName } from '../ops/kernels/by-name.ts';
import { countCorrect } from '../training/gradients.ts';

/** Where a worker gets its network: the seed network, or `export` of the module at `url` (a Layer, or a function of no arguments that returns one). */
export type NetworkSource =
  | { readonly kind: 'seed'; readonly init: InitScheme }
  | { readonly kind: 'module'; readonly url: string; readonly export: string };

export interface WorkerInit {
  readonly network: NetworkSource;
  readonly kernels: KernelName;
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

/** A parameter record rebuilt from dotted paths, in layout order (the order leaves() gave). */
const treeFromPaths = (paths: readonly string[], get: (path: string) => Tensor): Tree => {
  const root: Record<string, Tree> = {};
  for (const path of paths) {
    const parts = path.split('.');
    let node = root;
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, Tree>;
    node[parts[parts.length - 1]!] = get(path);
  }
  return root;
};

if (parentPort !== null) {
  const port = parentPort;
  const cfg = workerData as WorkerInit;
  const offsets = new Map<string, number>();
  cfg.layout.reduce((o, l) => (offsets.set(l.path, o), o + l.size), 0);
  const shapes = new Map(cfg.layout.map((l) => [l.path, l] as const));
  const total = cfg.layout.reduce((s, l) => s + l.size, 0);
  const vg = loadNetwork(cfg.network).then((net) => valueAndGrad(net, { kernels: kernelsByName(cfg.kernels) }));
  // A network that fails to load fails the worker: the main thread reports it on the next call.
  vg.catch((err: unknown) => setImmediate(() => { throw err; }));
  port.on('message', (m: WorkerStep) => {
    void vg.then((f) => {
      const flat = new Float32Array(m.params);
      // Views on the shared parameters: the main thread writes them only between steps.
      const params = treeFromPaths(cfg.layout.map((l) => l.path), (path) => {
        const o = offsets.get(path)!;
        return tensor(shapes.get(path)!.shape, flat.subarray(o, o + shapes.get(path)!.size));
      });
      const r = f(params, { x: tensor(m.shape, m.x), labels: m.labels });
      const grads = new Float32Array(total);
      let o = 0;
      for (const [, g] of leaves(r.grads)) {
        grads.set(g.data as Float32Array, o);
        o += g.data.length;
      }
      const reply: WorkerReply = { loss: r.loss, correct: countCorrect(r.out, m.labels), grads };
      port.postMessage(reply, [grads.buffer]);
    });
  });
}
