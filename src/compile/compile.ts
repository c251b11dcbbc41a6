// `compile(net)`: the same pure functions as valueAndGrad and predict, planned
// for the whole network at once, in the manner of JAX's jit. For each input
// shape the network is flattened into stages (a conv fused with its bias and
// ReLU), laid out once in a WASM heap that the compiled value owns, and run
// there: one copy in (parameters and batch), one copy out (logits and
// gradients). The eager ops stay the definition: the compiled functions give
// their results bit for bit (test/compile.test.ts).

import { ShapeError, showShape } from '../core/shape.ts';
import { concatRows, type Tensor } from '../core/tensor.ts';
import type { Layer } from '../graph/layer.ts';
import { crossEntropyLoss, type Loss } from '../graph/losses.ts';
import { heapOptimizer, type Optimizer } from '../graph/optimizers/index.ts';
import { isTensor, leaves, mapTree, type Tree } from '../graph/tree.ts';
import { valueAndGrad, type Batch, type LossAndGrad } from '../graph/value-and-grad.ts';
import type { Kernels } from '../ops/kernels/types.ts';
import { createWasmElementwise } from '../ops/kernels/wasm/elementwise-wasm.ts';
import { createWasmGemm, createWasmKernels, hasRelaxedSimd } from '../ops/kernels/wasm/gemm-wasm.ts';
import { createHeap } from '../ops/kernels/wasm/heap.ts';
import type { Labels } from '../ops/op.ts';
import type { KernelHelper } from './helper.ts';
import { flattenLayers, planStages, trustedSpec, type Stage } from './plan.ts';
import { createProgram, type Machine, type Program, type StepSettings } from './program.ts';

/** @inline */
type AnyLayer = Layer<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The options of {@link compile}. */
export interface CompileOptions<T> {
  /** Fused multiply-adds in the GEMM, as {@link WasmKernelOptions}: by default where the runtime has relaxed SIMD. */
  readonly fma?: boolean;
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
   * The eager kernel set the compiled functions agree with ('wasm-fma' or
   * 'wasm'): for the optimizer step, and what float64 inputs and a user's
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
   * give, bit for bit, sooner. An optimizer the library does not define, a layer
   * of your own in the network or float64 data take that way itself.
   */
  readonly step: <S extends Tree>(optimizer: Optimizer<S>, params: P, state: S, batch: Batch<T>, lr: number) => CompiledStep<P, S>;
  /**
   * Where the time of one valueAndGrad goes: each stage's forward and
   * backward milliseconds, measured over one call (call it a few times and
   * take medians: the first call also plans and lays out).
   */
  readonly profile: (params: P, batch: Batch<T>) => StageTime[];
}

/** What {@link Compiled.step} gives: the loss and output at the old parameters, and the new parameters and state. */
export interface CompiledStep<P extends Tree, S extends Tree> {
  readonly loss: number;
  readonly out: Tensor;
  readonly params: P;
  readonly state: S;
}

/** One stage of a compiled network and its time in one call of {@link Compiled.profile}. */
export interface StageTime {
  /** The layers the stage runs, joined by `+` (`conv1+add1+relu1`). */
  readonly stage: string;
  /** What runs them: conv, dense, bias, relu, maxPool, flatten, or eager (a layer of your own). */
  readonly kind: string;
  readonly forwardMs: number;
  readonly backwardMs: number;
}

/** Images per forward pass in predict: bounds the heap for a large batch. */
const PREDICT_CHUNK = 256;
/** How many values of each parameter array a call compares with the heap before trusting it is still there. */
const RESIDENT_SAMPLE = 64;
/** Programs kept per compiled network (one per batch size seen; an epoch needs two, the full and the last batch). */
const PROGRAMS_KEPT = 4;

const recordAt = (params: Tree, path: readonly string[]): Tree | undefined => {
  let t: Tree | undefined = params;
  for (const k of path) {
    if (t === undefined || isTensor(t)) return undefined;
    t = (t as Record<string, Tree>)[k];
  }
  return t;
};

const layerName = (path: readonly string[]): string => path.slice(0, -1).join('.');

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
  const { helper } = options;
  const fma = helper?.fma ?? options.fma ?? hasRelaxedSimd();
  const heap = createHeap(helper?.memory);
  const eager = createWasmKernels({ fma });
  const { gemmAt, denseSgdAt, workspace } = createWasmGemm(heap, fma);
  const machine: Machine = { heap, gemmAt, denseSgdAt, workspace, el: createWasmElementwise(heap).raw, eager, ...(helper === undefined ? {} : { helper }) };
  const loss = (options.loss ?? crossEntropyLoss) as Loss<T>;
  const ours = helper?.claim();
  const mustOwnHelper = (): void => {
    if (ours !== undefined && !ours()) throw new Error('compile: the kernel helper now serves another compiled network; start a helper for each');
  };
  const eagerValueAndGrad = valueAndGrad(net, { kernels: eager, loss });

  // What the last step left in the heap; any other call may overwrite the heap, so it forgets it.
  let lastStep: { readonly program: Program; readonly params: Tree; readonly state: Tree; readonly optimizer: object } | null = null;
  const plans = new Map<string, Stage[]>();
  const programs = new Map<string, Program>();
  const programFor = (shape: readonly number[]): { program: Program; stages: Stage[] } => {
    mustOwnHelper();
    const inShape = shape.slice(1);
    const planKey = inShape.join(',');
    let stages = plans.get(planKey);
    if (stages === undefined) {
      stages = planStages(flattenLayers(net as AnyLayer, inShape));
      plans.set(planKey, stages);
    }
    const key = shape.join(',');
    let program = programs.get(key);
    if (program === undefined) {
      program = createProgram(machine, stages, inShape, shape[0]!);
      if (programs.size >= PROGRAMS_KEPT) programs.delete(programs.keys().next().value!);
    } else programs.delete(key);
    programs.set(key, program);
    return { program, stages };
  };

  // The parameter arrays in the program's order, each checked against the shape the network needs.
  const leafData = (program: Program, params: P): Array<Tensor['data']> =>
    program.leaves.map((l) => {
      const t = recordAt(params, l.path);
      if (t === undefined || !isTensor(t)) {
        const layer = layerName(l.path);
        const have = recordAt(params, l.path.slice(0, -1));
        throw new RangeError(have === undefined
          ? `compile: the parameter record has no "${layer}"; make it with the network's init`
          : `compile: the record of "${layer}" has no tensor "${l.path[l.path.length - 1]}"`);
      }
      if (t.shape.length !== l.shape.length || t.shape.some((d, i) => d !== l.shape[i])) {
        throw new ShapeError(`parameter ${l.path[l.path.length - 1]} is ${showShape(t.shape)}; the network needs ${showShape(l.shape)} here`, l.path.slice(0, -1));
      }
      return t.data;
    });
  // The parameter values in the heap and the arrays they equal: those the last call copied in, or the fresh
  // ones a step returned. A call with the very same arrays (tensors are immutable) skips copying them in
  // again, after comparing a sample of each, so that an array rewritten in place against that rule is
  // copied in after all. Cleared while a call runs: a call that fails leaves nothing trusted.
  let resident: { readonly program: Program; readonly arrays: ReadonlyArray<Tensor['data']> } | null = null;
  const sampleMatches = (program: Program, arrays: ReadonlyArray<Tensor['data']>): boolean => {
    const f32 = machine.heap.f32();
    for (let i = 0; i < arrays.length; i++) {
      const a = arrays[i]!;
      const { at, size } = program.leaves[i]!;
      const step = Math.max(1, Math.floor(size / RESIDENT_SAMPLE));
      for (let j = size - 1, h = (at >> 2) + j; j >= 0; j -= step, h -= step) if (f32[h] !== a[j]) return false;
    }
    return true;
  };
  const paramsIn = (program: Program, params: P): { readonly arrays: Array<Tensor['data']>; readonly copy: Array<Tensor['data']> | 'in heap' } => {
    const arrays = leafData(program, params);
    const was = resident;
    resident = null;
    const same = was !== null && was.program === program && arrays.every((a, i) => a === was.arrays[i]) && sampleMatches(program, arrays);
    return { arrays, copy: same ? 'in heap' : arrays };
  };
  const eagerParams = (stages: readonly Stage[], params: P): Tree[] =>
    stages.filter((s) => s.kind === 'eager').map((s) => recordAt(params, s.at.path) ?? {});

  const float32 = (params: P, x: Tensor): boolean => x.data instanceof Float32Array && paramsFloat32(params);
  const paramsFloat32 = (t: Tree): boolean => (isTensor(t) ? t.data instanceof Float32Array : Object.values(t).every(paramsFloat32));

  // The gradient record, shaped as the eager serial gives it: every layer of a serial by name, {} for one without parameters.
  const gradTree = (layer: AnyLayer, path: readonly string[], own: Map<string, Record<string, Tree>>, eagerGrads: Map<string, Tree>): Tree => {
    const spec = trustedSpec(layer);
    if (spec?.op === 'serial') {
      const out: Record<string, Tree> = {};
      for (const [name, child] of Object.entries(spec.layers)) out[name] = gradTree(child, [...path, name], own, eagerGrads);
      return out;
    }
    const k = path.join('.');
    return eagerGrads.get(k) ?? own.get(k) ?? {};
  };

  // The forward pass, the loss and the backward pass on the heap; `keep` leaves the parameters' gradients there; given the `step` that follows, backward may update some leaves already.
  const lossAndBackward = (program: Program, params: Parameters<Program['forward']>[0], eagerRecords: readonly Tree[], batch: Batch<T>, keep: boolean, times?: { forward: number[]; backward: number[] }, step?: StepSettings) => {
    const out = program.forward(params, eagerRecords, batch.x.data as Float32Array, true, times?.forward);
    const l = loss(out, batch.labels, { kernels: eager });
    const dOut = l.backward(1).out;
    const g = program.backward(dOut.data instanceof Float32Array ? dOut.data : Float32Array.from(dOut.data), {
      keep, ...(times === undefined ? {} : { times: times.backward }), ...(step === undefined ? {} : { step }),
    });
    return { out, l, g };
  };

  const runValueAndGrad = (params: P, batch: Batch<T>, times?: { forward: number[]; backward: number[] }): LossAndGrad<P> => {
    lastStep = null;
    if (!float32(params, batch.x) || batch.x.shape[0] === 0) return eagerValueAndGrad(params, batch);
    const { program, stages } = programFor(batch.x.shape);
    const given = paramsIn(program, params);
    const { out, l, g } = lossAndBackward(program, given.copy, eagerParams(stages, params), batch, false, times);
    resident = { program, arrays: given.arrays };
    const own = new Map<string, Record<string, Tree>>();
    program.leaves.forEach((leaf, i) => {
      const k = layerName(leaf.path);
      const rec = own.get(k) ?? {};
      rec[leaf.path[leaf.path.length - 1]!] = { shape: leaf.shape, data: g.leaves[i]! };
      own.set(k, rec);
    });
    const eagerGrads = new Map(stages.filter((s) => s.kind === 'eager').map((s, i) => [s.at.path.join('.'), g.eager[i]!] as const));
    return { loss: l.out, grads: gradTree(net as AnyLayer, [], own, eagerGrads) as P, out };
  };

  const runValueAndGradTo = (params: P, batch: Batch<T>, put: (path: string, grad: Readonly<Tensor['data']>) => void): { loss: number; out: Tensor } => {
    lastStep = null;
    if (!float32(params, batch.x) || batch.x.shape[0] === 0) {
      const r = eagerValueAndGrad(params, batch);
      for (const [path, g] of leaves(r.grads)) put(path, g.data);
      return { loss: r.loss, out: r.out };
    }
    const { program, stages } = programFor(batch.x.shape);
    const given = paramsIn(program, params);
    const { out, l, g } = lossAndBackward(program, given.copy, eagerParams(stages, params), batch, true);
    resident = { program, arrays: given.arrays };
    const f32 = machine.heap.f32();
    for (const leaf of program.leaves) put(leaf.path.join('.'), f32.subarray(leaf.gradAt >> 2, (leaf.gradAt >> 2) + leaf.size));
    stages.filter((s) => s.kind === 'eager').forEach((s, i) => {
      for (const [path, t] of leaves(g.eager[i]!)) put([...s.at.path, ...(path === '' ? [] : [path])].join('.'), t.data);
    });
    return { loss: l.out, out };
  };

  const runPredict = (params: P, x: Tensor): Tensor => {
    lastStep = null;
    const n = x.shape[0] ?? 0;
    if (!float32(params, x) || n === 0) return net.apply(params, x, { kernels: eager }).out;
    const per = x.data.length / n;
    const parts: Tensor[] = [];
    for (let s = 0; s < n; s += PREDICT_CHUNK) {
      const m = Math.min(PREDICT_CHUNK, n - s);
      const { program, stages } = programFor([m, ...x.shape.slice(1)]);
      const xs = (x.data as Float32Array).subarray(s * per, (s + m) * per);
      const given = paramsIn(program, params);
      parts.push(program.forward(given.copy, eagerParams(stages, params), xs, false));
      resident = { program, arrays: given.arrays };
    }
    return parts.length === 1 ? parts[0]! : concatRows(parts);
  };

  // Each leaf's optimizer state arrays, in the order program.update takes them; undefined when one is missing or not float32 (the eager step then says what is wrong).
  const stateOf = (trees: readonly Tree[], program: Program): Array<Array<Tensor['data']>> | undefined => {
    const out: Array<Array<Tensor['data']>> = [];
    for (const l of program.leaves) {
      const row: Array<Tensor['data']> = [];
      for (const tree of trees) {
        const a = recordAt(tree, l.path);
        if (a === undefined || !isTensor(a) || !(a.data instanceof Float32Array) || a.data.length !== l.size) return undefined;
        row.push(a.data);
      }
      out.push(row);
    }
    return out;
  };

  const runStep = <S extends Tree>(optimizer: Optimizer<S>, params: P, state: S, batch: Batch<T>, lr: number): CompiledStep<P, S> => {
    const eagerStep = (): CompiledStep<P, S> => {
      const r = runValueAndGrad(params, batch);
      return { loss: r.loss, out: r.out, ...optimizer.step(params, r.grads, state, { lr, kernels: eager }) };
    };
    // The library's optimizers have a heap form; one of your own, or a copy with its own step, takes its step.
    const heap = heapOptimizer(optimizer);
    let trees: Tree[] = [];
    if (heap !== undefined) {
      try {
        trees = heap.stateTrees(state);
      } catch (err) {
        throw new RangeError(`compile: step: ${(err as Error).message}`);
      }
    }
    const previous = lastStep;
    lastStep = null;
    if (heap === undefined || !float32(params, batch.x) || batch.x.shape[0] === 0) return eagerStep();
    const { program, stages } = programFor(batch.x.shape);
    // The records this program's last step returned: their values are still in its heap (tensors are immutable).
    const inHeap = previous !== null && previous.program === program && previous.params === params && previous.state === state && previous.optimizer === heap;
    const arrays = inHeap || stages.some((s) => s.kind === 'eager') ? undefined : stateOf(trees, program);
    if (!inHeap && arrays === undefined) return eagerStep();
    const given = inHeap ? 'in heap' : paramsIn(program, params).copy;
    // The update changes the heap's parameters: nothing there is trusted until the step has returned.
    resident = null;
    const step: StepSettings = { update: heap.update(state, lr), sgdRate: heap.sgdRate?.(lr), state: arrays ?? { inHeap: trees.length } };
    const { out, l, g } = lossAndBackward(program, given, [], batch, true, undefined, step);
    const next = program.update(step, g.updated);
    const byPath = new Map(program.leaves.map((leaf, i) => [leaf.path.join('.'), next[i]!] as const));
    const pick = <X extends Tree>(template: X, k: number): X => mapTree(template, (leaf, path) => {
      const r = byPath.get(path);
      if (r === undefined) throw new RangeError(`compile: "${path}" is not a parameter of the network`);
      return { shape: leaf.shape, data: k < 0 ? r.p : r.state[k]! };
    });
    const nextState = heap.next(state, trees.map((tree, k) => pick(tree, k)));
    const nextParams = pick(params, -1);
    lastStep = { program, params: nextParams, state: nextState, optimizer: heap };
    resident = { program, arrays: next.map((r) => r.p) };
    return { loss: l.out, out, params: nextParams, state: nextState };
  };

  const profile = (params: P, batch: Batch<T>): StageTime[] => {
    if (!float32(params, batch.x) || batch.x.shape[0] === 0) throw new RangeError('compile: profile needs float32 parameters and a batch of at least one example');
    const times = { forward: [] as number[], backward: [] as number[] };
    runValueAndGrad(params, batch, times);
    return programFor(batch.x.shape).stages.map((st, i) => ({
      stage: [st.at, ...(st.kind === 'conv' ? [st.bias?.at, st.relu] : st.kind === 'dense' ? [st.relu] : [])].filter((p) => p !== undefined).map((p) => p.path.join('.')).join('+'),
      kind: st.kind,
      forwardMs: times.forward[i]!,
      backwardMs: times.backward[i]!,
    }));
  };

  return { valueAndGrad: (params, batch) => runValueAndGrad(params, batch), valueAndGradTo: runValueAndGradTo, predict: runPredict, step: runStep, kernels: eager, profile };
};
