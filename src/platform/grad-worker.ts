// One data-parallel worker thread (Node): builds or imports the network and
// answers the source's messages with the library's worker side
// (src/parallel/serve.ts).

import { parentPort, workerData } from 'node:worker_threads';
import { seedNetwork, type Layer, type Tree } from '../graph/index.ts';
import { serveGradients } from '../parallel/serve.ts';
import type { NetworkSource, WorkerInit } from '../parallel/protocol.ts';

export type { NetworkSource, WorkerInit } from '../parallel/protocol.ts';

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
  const handle = serveGradients(cfg, loadNetwork(cfg.network), (m, transfer) => port.postMessage(m, transfer ?? []));
  port.on('message', handle);
}
