// One data-parallel worker thread (Node): builds or imports the network and
// answers the source's messages with the library's worker side
// (src/parallel/serve.ts).

import { parentPort, workerData } from 'node:worker_threads';
import { serveGradients } from '../parallel/serve.ts';
import type { WorkerInit } from '../parallel/protocol.ts';
import { loadNetwork } from './network-module.ts';

export type { NetworkSource, WorkerInit } from '../parallel/protocol.ts';

if (parentPort !== null) {
  const port = parentPort;
  const cfg = workerData as WorkerInit;
  const handle = serveGradients(cfg, loadNetwork(cfg.network), (m, transfer) => port.postMessage(m, transfer ?? []));
  port.on('message', handle);
}
