// What runs a network for a kernel name, as the CLI, the workers and the page
// choose it: 'wasm' compiles the network (bit for bit the eager WASM ops,
// sooner); 'js' and 'reference' run the eager ops on those kernels.

import type { Layer } from '../graph/layer.ts';
import type { Tree } from '../graph/tree.ts';
import { kernelsByName, type KernelName } from '../ops/kernels/by-name.ts';
import type { Kernels } from '../ops/kernels/types.ts';
import { compile, type Compiled } from './compile.ts';
import type { KernelHelper } from './helper.ts';

/** A kernel set, and the network compiled on its kind of WASM when the name is 'wasm'. */
export interface Runner<P extends Tree> {
  readonly kernels: Kernels;
  readonly compiled: Compiled<P> | undefined;
}

/** How `net` runs under the kernel name `name`: compiled for 'wasm' (with a kernel helper when given), eager otherwise. */
export const runnerFor = <P extends Tree>(net: Layer<P>, name: KernelName, helper?: KernelHelper): Runner<P> => {
  if (name !== 'wasm') return { kernels: kernelsByName(name), compiled: undefined };
  const compiled = compile(net, helper === undefined ? {} : { helper });
  return { kernels: compiled.kernels, compiled };
};
