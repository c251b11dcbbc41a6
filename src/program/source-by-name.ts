// The CLI's kernel name (--kernels) as a source: where a name becomes a
// kernel set, once, at the program's edge. Inside the library a source
// carries its Kernels value.

import { compile } from '../compile/compile.ts';
import type { KernelHelper } from '../compile/helper.ts';
import type { Layer, Tree } from '../graph/index.ts';
import { isWasmName, kernelsByName, type KernelName } from '../ops/kernels/by-name.ts';
import { compiledSource, eagerSource, type Source } from '../training/source.ts';

/**
 * What runs `net` under the kernel name `name`: 'wasm' and 'wasm-winograd'
 * compile it (the eager WASM ops' numbers, bit for bit, sooner; on the
 * kernel helper when given one), 'js' and 'reference' run the eager ops on
 * those kernels.
 *
 * @example
 * const source = sourceByName(seedNetwork({ init: 'he' }), 'wasm');
 * const logits = await source.predict(params, x);
 */
export const sourceByName = <P extends Tree>(net: Layer<P>, name: KernelName, helper?: KernelHelper): Source<P> =>
  isWasmName(name)
    ? compiledSource(compile(net, { winograd: name === 'wasm-winograd', ...(helper === undefined ? {} : { helper }) }))
    : eagerSource(net, { kernels: kernelsByName(name) });
