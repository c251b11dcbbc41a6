// Starting one of this folder's worker files, from source or from the built
// package alike. Under tsx (the caller's file is .ts) workers do not inherit
// tsx's loader: each registers it before importing the TypeScript worker.
// tsx is resolved here, from this file, because a bare 'tsx' in the worker's
// eval'd code would be looked up from the current directory. (ESM
// resolution: require.resolve would give the CommonJS build, whose
// register() fails when imported from a worker.) From the built package
// (.js) the worker starts under plain node.

import { Worker } from 'node:worker_threads';

/**
 * A worker running `name` (without extension) from the folder of `from`
 * (the caller's import.meta.url), with `workerData`; `typescriptToo` asks
 * for tsx's loader even from the built package (a user's .ts module).
 */
export const spawnWorker = (from: string, name: string, workerData: unknown, typescriptToo = false): Worker => {
  const typescript = from.endsWith('.ts');
  const url = new URL(`./${name}${typescript ? '.ts' : '.js'}`, from).href;
  if (!typescript && !typescriptToo) return new Worker(new URL(url), { workerData });
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(url)}); })`;
  return new Worker(boot, { eval: true, workerData });
};
