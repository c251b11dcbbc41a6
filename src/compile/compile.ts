// `compile(net)`: the same pure functions as valueAndGrad and predict, planned
// for the whole network at once, in the manner of JAX's jit. For each input
// shape the network is flattened into stages (a conv fused with its bias and
// ReLU), laid out once in a WASM heap that the compiled value owns, and run
// there: one copy in (parameters and batch), one copy out (logits and
// gradients). The eager ops stay the definition: the compiled functions give
// their results bit for bit (test/compile.test.ts).

import { aFunction, ArgumentError, batchArg, describeValue, float32Number, layerArg, optionsBag, tensorArg } from '../core/check.ts';
import type { Tensor } from '../core/tensor.ts';
import type { Layer } from '../graph/layer.ts';
import { checkedLoss, crossEntropyLoss, type Loss } from '../graph/losses.ts';
import type { Optimizer } from '../graph/optimizers/index.ts';
import type { Tree } from '../graph/tree.ts';
import { valueAndGrad, type Batch, type LossAndGrad } from '../graph/value-and-grad.ts';
import type { Kernels } from '../ops/kernels/types.ts';
import { createWasmElementwise } from '../ops/kernels/wasm/elementwise-wasm.ts';
import { createWasmGemm, createWasmKernels, hasRelaxedSimd } from '../ops/kernels/wasm/gemm-wasm.ts';
import { createHeap, type Heap } from '../ops/kernels/wasm/heap.ts';
import { heapKernels } from '../ops/kernels/wasm/heap-kernels.ts';
import type { Labels } from '../ops/op.ts';
import type { KernelHelper } from './helper.ts';
import * as run from './run.ts';
import type { Session } from './session.ts';
import type { Machine } from './program.ts';
import { step, type CompiledStep } from './step.ts';

export type { CompiledStep } from './step.ts';
export type { StageTime } from './run.ts';

/** The options of {@link compile}. */
export interface CompileOptions<T> {
  /** Fused multiply-adds in the GEMM, as {@link Ops.WasmKernelOptions}: by default where the runtime has relaxed SIMD. */
  readonly fma?: boolean;
  /** Winograd convolutions where they apply, as {@link Ops.WasmKernelOptions}; default false (direct). */
  readonly winograd?: boolean;
  /** Default: softmax cross-entropy of the logits with integer labels. */
  readonly loss?: Loss<T>;
  /**
   * A second thread (in Node, `startKernelHelper` of mnist-cnn-ts/node):
   * the network lays itself out on the helper's shared heap, and every call
   * splits its products, pools and updates with it, giving one thread's
   * numbers bit for bit. Its `fma` is used. A helper serves one compiled
   * network at a time: compiling another with it takes it over, and the
   * first then refuses every call.
   */
  readonly helper?: KernelHelper;
}

/** What {@link compile} gives: valueAndGrad and predict for one network, and the kernel set they match. */
export interface Compiled<P extends Tree, T = Labels> {
  /** The loss and gradients at `params` for a batch: what `valueAndGrad(net, { kernels })` gives, bit for bit. */
  readonly valueAndGrad: (params: P, batch: Batch<T>) => LossAndGrad<P>;
  /**
   * The network's output for x, in passes of at most 256 images (so the heap
   * stays small for a large x): what `predict(net, params, x, { kernels })`
   * gives on each 256 images, bit for bit. A row's last bits can depend on
   * the batch it is computed in (the GEMM's edge rows), so past 256 images
   * they may differ from one eager pass over the whole of x.
   */
  readonly predict: (params: P, x: Tensor) => Tensor;
  /**
   * The eager kernel set the compiled functions agree with ('wasm', with
   * '-fma' and '-winograd' as compiled): for the optimizer step, and what float64 inputs and a user's
   * own layers run on.
   */
  readonly kernels: Kernels;
  /**
   * valueAndGrad without the gradient record: each parameter's gradient is
   * handed to `put` with its dotted path, as a view of the heap that is valid
   * only during the call (copy it out, into shared memory say, before
   * returning). Allocates no parameter-sized arrays; the library's gradient
   * workers use it.
   */
  readonly valueAndGradTo: (params: P, batch: Batch<T>, put: (path: string, grad: Readonly<Tensor['data']>) => void) => { readonly loss: number; readonly out: Tensor };
  /**
   * A whole training step: the loss and the optimizer's update of every
   * parameter, with the gradients never leaving the heap. Gives what
   * `valueAndGrad` then `optimizer.step(params, grads, state, { lr, kernels })`
   * give, bit for bit, sooner. An optimizer of your own (no `hyper`), a layer
   * of your own in the network or float64 data take that way itself.
   */
  readonly step: <S extends Tree>(optimizer: Optimizer<S>, params: P, state: S, batch: Batch<T>, lr: number) => CompiledStep<P, S>;
  /**
   * Where the time of one valueAndGrad goes: each stage's forward and
   * backward milliseconds, measured over one call (call it a few times and
   * take medians: the first call also plans and lays out).
   */
  readonly profile: (params: P, batch: Batch<T>) => run.StageTime[];
}

const checkCompile = (net: unknown, options: unknown): void => {
  layerArg('compile', 'net', net);
  const o = optionsBag('compile', 'options', options, '{ fma?, loss?, helper? }');
  if (o['fma'] !== undefined && typeof o['fma'] !== 'boolean') throw new ArgumentError(`compile: options.fma must be true or false, got ${describeValue(o['fma'])}`);
  if (o['helper'] !== undefined) optionsBag('compile', 'options.helper', o['helper'], 'a kernel helper, as startKernelHelper gives');
};

// A compiled call's parameter record and batch, checked as the eager valueAndGrad checks them.
const checkCall = (fn: string, params: unknown, batch: unknown): void => {
  optionsBag(`compiled.${fn}`, 'params', params, "the parameter record, as the network's init makes it");
  batchArg(`compiled.${fn}`, batch);
};

/**
 * Compiles a network (any {@link Layer}; serial pipelines of the library's
 * layers gain the most) into functions that run it on WebAssembly with every
 * intermediate kept in one heap. They are pure at the boundary, as the eager
 * ones: the caller's arrays are never written and every result is fresh.
 * A conv followed by a bias and ReLU runs as one stage; a layer of your own
 * runs on its own `apply` in between; float64 parameters or inputs take the
 * eager path. The compiled value owns its heap: make one per thread.
 *
 * Parameter arrays are taken as immutable, as everywhere in the library: a
 * call with the same arrays as the call before (or as the last step
 * returned) does not copy them into the heap again, which makes predict at
 * batch 1 about 1.4x faster. 64 values of each array are compared first, so
 * an array rewritten in place is noticed, but a few values changed in place
 * may not be: give new arrays.
 *
 * @example
 * const net = seedNetwork({ init: 'he' });
 * const c = compile(net);
 * const { loss, grads } = c.valueAndGrad(params, { x, labels });
 * const next = adam().step(params, grads, state, { lr: 1e-3, kernels: c.kernels });
 * const logits = c.predict(next.params, x);
 */
export const compile = <P extends Tree, T = Labels>(net: Layer<P>, options: CompileOptions<T> = {}): Compiled<P, T> => {
  checkCompile(net, options);
  const { helper } = options;
  const fma = helper?.fma ?? options.fma ?? hasRelaxedSimd();
  const winograd = options.winograd ?? false;
  const eager = createWasmKernels({ fma, winograd });
  const machineOn = (heap: Heap): Machine => {
    const { gemmAt, denseSgdAt, workspace } = createWasmGemm(heap, fma);
    return { heap, kernels: heapKernels(heap, gemmAt, denseSgdAt, createWasmElementwise(heap).raw), workspace, eager, winograd };
  };
  const machine: Machine = { ...machineOn(createHeap(helper?.memory)), ...(helper === undefined ? {} : { helper }) };
  let unshared: Machine | undefined;
  const loss = (options.loss === undefined ? crossEntropyLoss : checkedLoss('compile', options.loss)) as Loss<unknown>;
  const ours = helper?.claim();
  const s: Session = {
    net: net as unknown as Layer<Tree>,
    machine,
    unshared: () => (unshared ??= machineOn(createHeap())),
    loss,
    eagerValueAndGrad: valueAndGrad(net as unknown as Layer<Tree>, { kernels: eager, loss }),
    plans: new Map(),
    programs: new Map(),
    resident: null,
    lastStep: null,
    mustOwnHelper: () => {
      if (ours !== undefined && !ours()) throw new Error('compile: the kernel helper now serves another compiled network; start a helper for each');
    },
  };
  return {
    valueAndGrad: (params, batch) => {
      checkCall('valueAndGrad', params, batch);
      return run.valueAndGrad(s, params, batch) as LossAndGrad<P>;
    },
    valueAndGradTo: (params, batch, put) => {
      checkCall('valueAndGradTo', params, batch);
      aFunction('compiled.valueAndGradTo', 'put', put);
      return run.valueAndGradTo(s, params, batch, put);
    },
    predict: (params, x) => {
      optionsBag('compiled.predict', 'params', params, "the parameter record, as the network's init makes it");
      tensorArg('compiled.predict', 'x', x);
      return run.predict(s, params, x);
    },
    step: <S extends Tree>(optimizer: Optimizer<S>, params: P, state: S, batch: Batch<T>, lr: number) => {
      const o = optionsBag('compiled.step', 'optimizer', optimizer, 'an optimizer, as adam() makes');
      aFunction('compiled.step', 'optimizer.step', o['step']);
      optionsBag('compiled.step', 'state', state, "the optimizer's state, as its init makes it");
      checkCall('step', params, batch);
      float32Number('compiled.step', 'lr', lr);
      return step(s, optimizer as unknown as Optimizer<Tree>, params, state, batch, lr) as CompiledStep<P, S>;
    },
    kernels: eager,
    profile: (params, batch) => {
      checkCall('profile', params, batch);
      return run.profile(s, params, batch);
    },
  };
};
