// One of the page's gradient workers (started by its training worker when the
// page is cross-origin isolated): the library's worker side of data-parallel
// training (src/parallel/serve.ts) in a Web Worker. The first message is the
// init (what a Node worker gets as workerData); every later one is work.

import { seedNetwork, type Layer, type Tree } from '../graph/index.ts';
import { serveGradients } from '../parallel/serve.ts';
import type { WorkerInit } from '../parallel/protocol.ts';

interface Scope {
  postMessage(message: unknown, transfer: Transferable[]): void;
  onmessage: ((e: MessageEvent) => void) | null;
}
const scope = self as unknown as Scope;

let handle: ((m: never) => void) | null = null;
scope.onmessage = (e) => {
  if (handle !== null) return handle(e.data as never);
  const init = e.data as WorkerInit;
  // The page trains the seed network (the CLI's default recipe); a module URL means nothing here.
  const net = seedNetwork({ init: init.network.kind === 'seed' ? init.network.init : 'he' }) as unknown as Layer<Tree>;
  handle = serveGradients(init, Promise.resolve(net), (m, transfer) => scope.postMessage(m, transfer ?? []));
};
