// The thread of a compiled network's kernel helper (Node): says it is ready,
// then serves hand-overs until closed (src/compile/helper.ts).

import { parentPort, workerData } from 'node:worker_threads';
import { serveKernels, type HelperInit } from '../compile/helper.ts';

if (parentPort !== null) {
  const port = parentPort;
  serveKernels(workerData as HelperInit, () => port.postMessage('ready'));
}
