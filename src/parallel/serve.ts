// The worker side of data-parallel training, for Node's worker threads
// (src/platform/grad-worker.ts) and the page's Web Workers alike: for each
// message, the loss and gradient of the worker's share of a batch, or a whole
// step (its gradient into the shared gradient buffer, a barrier with the other
// workers, then the sum and the optimizer's update of its own slice of the
// parameters), or the network's output for its share of the examples.

import { tensor, type Data, type Tensor } from '../core/tensor.ts';
import { compile } from '../compile/compile.ts';
import { leaves, valueAndGrad, type Batch, type Layer, type Tree } from '../graph/index.ts';
import { heapOptimizer, optimizerFromHyper, type HeapOptimizer, type Optimizer, type OptimizerHyper } from '../graph/optimizers/index.ts';
import { layoutSize, unpackTree } from '../graph/packing.ts';
import { isWasmName, kernelsByName } from '../ops/kernels/by-name.ts';
import type { Kernels } from '../ops/kernels/types.ts';
import { createWasmElementwise } from '../ops/kernels/wasm/elementwise-wasm.ts';
import { createHeap } from '../ops/kernels/wasm/heap.ts';
import { countCorrect } from '../training/source.ts';
import { addWeighted, sliceOf, type WorkerInit, type WorkerPredict, type WorkerPredictReply, type WorkerReply, type WorkerStep, type WorkerTrainReply, type WorkerTrainStep } from './protocol.ts';

/** One worker's slice of a step: the optimizer, the state before the step (its slice), the weighted gradients of every share, the parameters and state arrays to read (by index) and where the new ones go. */
type Update = (
  optimizer: Optimizer<Tree>, state: Tree, lr: number,
  parts: ReadonlyArray<{ readonly weight: number; readonly grads: Float32Array }>,
  read: (k: number) => Float32Array, write: (k: number, data: Readonly<Data>) => void,
) => void;

/**
 * The update on the WASM kernels' own loops, in one heap: the shares'
 * gradients are summed there (acc - (-w) g is acc + w g in float32, as the
 * main thread sums `grad`'s shares) and the optimizer runs in place, with
 * the same float32 arguments the kernel set passes it.
 */
const wasmUpdate = (): Update => {
  const heap = createHeap();
  const el = createWasmElementwise(heap).raw;
  return (optimizer, state, lr, parts, read, write) => {
    const opt = heapOptimizer(optimizer)!;
    const len = read(0).length;
    const [go, po, tmp, ...states] = heap.layout(len, len, len, ...opt.trees.map(() => len)) as [number, number, number, ...number[]];
    const f32 = heap.f32();
    f32.fill(0, go >> 2, (go >> 2) + len);
    for (const { weight, grads } of parts) {
      f32.set(grads, tmp >> 2);
      el.sgd(go, tmp, len, -weight);
    }
    f32.set(read(0), po >> 2);
    states.forEach((at, k) => f32.set(read(k + 1), at >> 2));
    opt.update(state, lr)(el, { p: po, g: go, s: states, n: len });
    states.forEach((at, k) => write(k + 1, f32.subarray(at >> 2, (at >> 2) + len)));
    write(0, f32.subarray(po >> 2, (po >> 2) + len));
  };
};

/** The same update as the optimizer's own step on a kernel set (js, reference), the slice as one leaf. */
const kernelUpdate = (kernels: Kernels): Update => (optimizer, state, lr, parts, read, write) => {
  const len = read(0).length;
  const g = new Float32Array(len);
  for (const { weight, grads } of parts) addWeighted(g, grads, weight);
  const r = optimizer.step(tensor([len], read(0)), tensor([len], g), state, { lr, kernels });
  write(0, (r.params as Tensor).data);
  heapOptimizer(optimizer)!.stateTrees(r.state).forEach((t, k) => write(k + 1, (t as Tensor).data));
};

/** The optimizer a step message describes, and its state on this worker's slice (the state arrays read by index as in the update). */
const sliceStep = (hyper: OptimizerHyper, rest: Tree, read: (k: number) => Float32Array): { readonly optimizer: Optimizer<Tree>; readonly state: Tree } => {
  const optimizer = optimizerFromHyper(hyper);
  const opt: HeapOptimizer = heapOptimizer(optimizer)!;
  const len = read(0).length;
  return { optimizer, state: opt.assemble(rest, opt.trees.map((_, k) => tensor([len], read(k + 1)))) };
};

/** Waits until all `threads` workers have arrived `generation` times; false when the main thread called it off. */
const barrier = (control: Int32Array, threads: number, generation: number): boolean => {
  const target = threads * generation;
  if (Atomics.add(control, 0, 1) + 1 >= target) {
    Atomics.notify(control, 0);
    return true;
  }
  for (;;) {
    const v = Atomics.load(control, 0);
    if (v >= target) return true;
    if (Atomics.load(control, 1) !== 0) return false;
    Atomics.wait(control, 0, v, 250);
  }
};

// A failure inside a handler is thrown again outside the promise: uncaught, it fails the worker ('error' in
// Node, onerror in a browser, where a rejected promise alone would leave the source waiting).
const rethrow = (err: unknown): void => void setTimeout(() => { throw err; });
// A call's own failure (a label out of range, a wrong shape) is answered, and the worker goes on.
const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

/**
 * The message handler of one data-parallel worker, for a worker shell of
 * any platform: `cfg` is the init the source sent it (as workerData, or as
 * the first message), `network` the network it runs (the shell builds or
 * imports it), `post` how it answers. A message whose work fails (a label
 * out of range, say) is answered with the error and the worker goes on; a
 * network that fails to load fails the worker.
 *
 * @example
 * // grad-worker.js, a Web Worker the page's training worker starts through workerGradients' spawn
 * let handle = null;
 * self.onmessage = (e) => {
 *   if (handle === null) handle = serveGradients(e.data, Promise.resolve(net), (m, t) => self.postMessage(m, t ?? []));
 *   else handle(e.data);
 * };
 */
export const serveGradients = (cfg: WorkerInit, network: Promise<Layer<Tree>>, post: (message: unknown, transfer?: ArrayBuffer[]) => void): ((m: WorkerStep | WorkerTrainStep | WorkerPredict) => void) => {
  const total = layoutSize(cfg.layout);
  const control = new Int32Array(cfg.control);
  const allGrads = new Float32Array(cfg.grads);
  const stateViews = cfg.states.map((b) => new Float32Array(b));
  const kernels = kernelsByName(cfg.kernels);
  const update = isWasmName(cfg.kernels) ? wasmUpdate() : kernelUpdate(kernels);
  // A WASM set runs the network compiled: the eager WASM results, bit for bit, sooner.
  const ready = network.then((net) => {
    const compiled = isWasmName(cfg.kernels) ? compile(net, { winograd: cfg.kernels === 'wasm-winograd' }) : undefined;
    const eager = valueAndGrad(net, { kernels });
    return {
      // The gradients straight into shared memory, without parameter-sized garbage (compiled), or through the record.
      vgTo: compiled?.valueAndGradTo ?? ((p: Tree, b: Batch, put: (path: string, g: Readonly<Data>) => void) => {
        const r = eager(p, b);
        for (const [path, g] of leaves(r.grads)) put(path, g.data);
        return r;
      }),
      predict: compiled?.predict ?? ((p: Tree, x: Tensor) => net.apply(p, x, { kernels }).out),
    };
  });
  // A network that fails to load fails the worker: the main thread reports it on the next call.
  ready.catch(rethrow);
  const offsets = new Map(cfg.layout.map((l) => [l.path, l.offset] as const));
  const view = (buffer: Float32Array): Tree => unpackTree(cfg.layout, buffer.subarray(0, total), { copy: false });

  // The loss, right answers and gradient of a share at `params`, the gradient written into `into` in the layout.
  const gradientInto = ({ vgTo }: Awaited<typeof ready>, params: Tree, m: { readonly x: Float32Array; readonly shape: number[]; readonly labels: Int32Array }, into: Float32Array) => {
    let filled = 0;
    const r = vgTo(params, { x: tensor(m.shape, m.x), labels: m.labels }, (path, g) => {
      const at = offsets.get(path);
      if (at === undefined) throw new RangeError(`gradient worker: the network has a parameter "${path}" that the layout lacks`);
      into.set(g, at);
      filled++;
    });
    if (filled !== cfg.layout.length) throw new RangeError(`gradient worker: the network gave ${filled} gradients for the layout's ${cfg.layout.length} parameters`);
    return { loss: r.loss, correct: countCorrect(r.out, m.labels) };
  };

  const trainStep = (r: Awaited<typeof ready>, m: WorkerTrainStep): WorkerTrainReply => {
    const from = stateViews[m.from]!;
    const to = stateViews[m.to]!;
    let got = { loss: 0, correct: 0 };
    let error: string | null = null;
    try {
      if (m.labels.length > 0) got = gradientInto(r, view(from), m, allGrads.subarray(cfg.index * total, (cfg.index + 1) * total));
    } catch (err) {
      // This step fails, the worker does not: the others learn it at the barrier and skip the update.
      error = messageOf(err);
      Atomics.store(control, 2, m.generation);
    }
    if (!barrier(control, cfg.threads, m.generation)) return { ...got, aborted: true };
    if (error !== null) return { ...got, aborted: true, error };
    if (Atomics.load(control, 2) === m.generation) return { ...got, aborted: true };
    const [a, b] = sliceOf(total, cfg.index, cfg.threads);
    const n = m.shares[m.shares.length - 1]![1];
    const parts = m.shares.flatMap(([s0, s1], w) => (s1 === s0 ? [] : [{ weight: (s1 - s0) / n, grads: allGrads.subarray(w * total + a, w * total + b) }]));
    const read = (k: number): Float32Array => from.subarray(k * total + a, k * total + b);
    const { optimizer, state } = sliceStep(m.hyper, m.rest, read);
    update(optimizer, state, m.lr, parts, read, (k, data) => to.set(data, k * total + a));
    return { ...got, aborted: false };
  };

  // Runs a message's work once the network is there; a failure of the work itself is answered, and the worker goes on.
  const answer = (work: (r: Awaited<typeof ready>) => void): void =>
    void ready.then((r) => {
      try {
        work(r);
      } catch (err) {
        post({ error: messageOf(err) });
      }
    }).catch(rethrow);

  return (m: WorkerStep | WorkerTrainStep | WorkerPredict): void => {
    if (m.kind === 'step') return answer((r) => post(trainStep(r, m)));
    // Views on the shared parameters: the main thread writes them only between calls.
    const params = view(new Float32Array(m.params));
    if (m.kind === 'predict') {
      return answer(({ predict }) => {
        const out = predict(params, tensor(m.shape, m.x));
        const data = out.data instanceof Float32Array ? out.data : Float32Array.from(out.data);
        const reply: WorkerPredictReply = { out: data, shape: [...out.shape] };
        post(reply, [data.buffer as ArrayBuffer]);
      });
    }
    answer((r) => {
      const grads = new Float32Array(total);
      const reply: WorkerReply = { ...gradientInto(r, params, m, grads), grads };
      post(reply, [grads.buffer]);
    });
  };
};
