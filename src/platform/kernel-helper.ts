// A compiled network's second thread in Node: a worker thread serving the
// library's kernel helper (src/compile/helper.ts) on a shared heap.

import { helperInit, helperPort, type KernelHelper } from '../compile/helper.ts';
import { hasRelaxedSimd } from '../ops/kernels/wasm/gemm-wasm.ts';
import { spawnWorker } from './spawn-worker.ts';

/** The options of {@link startKernelHelper}. */
export interface KernelHelperOptions {
  /** Fused multiply-adds in the GEMM (give compile the same): by default where the runtime has relaxed SIMD. */
  readonly fma?: boolean;
}

/**
 * Starts a worker thread that runs half of a compiled network's kernels:
 * give it to `compile` (of mnist-cnn-ts) as `helper`, and the network's steps and
 * predictions use two cores, with one thread's numbers bit for bit. Resolves
 * once the thread is running; `close()` ends it.
 *
 * @example
 * const helper = await startKernelHelper();
 * const c = compile(net, { helper });
 * const r = c.step(sgd(), params, state, { x, labels }, 0.01);
 * await helper.close();
 */
export const startKernelHelper = (options: KernelHelperOptions = {}): Promise<KernelHelper> => {
  const init = helperInit(options.fma ?? hasRelaxedSimd());
  const worker = spawnWorker(import.meta.url, 'kernel-worker', init);
  let ready = false;
  let closing = false;
  // Before it is ready, a death rejects the start; after, it fails every later call at once.
  let died: (why: string) => void = () => {};
  return new Promise((resolve, reject) => {
    const failed = (why: string): void => {
      if (!ready) reject(new Error(`kernel helper: the thread ${why}`));
      else if (!closing) died(why);
    };
    worker.on('error', (e: Error) => failed(`failed: ${e.message.split('\n')[0]}`));
    worker.on('exit', (code: number) => failed(ready ? `exited (code ${code})` : `exited (code ${code}) before it was ready`));
    worker.once('message', () => {
      ready = true;
      // A worker blocked in its loop keeps the process alive only while open.
      worker.unref();
      resolve(helperPort(init, () => ((closing = true), worker.terminate()), (f) => (died = f)));
    });
  });
};
