// Data-parallel training over workers, for Node's worker threads
// (`parallelGradients` in src/platform/data-parallel.ts) and the page's Web
// Workers alike: the workers are reached through a small port that the
// platform's shell provides. The parameters go to the workers through one
// SharedArrayBuffer (written only between steps), each worker takes a
// contiguous share of the batch, and the partial gradients come back as
// transferred buffers, summed in worker order, weighted by share size, so
// results are deterministic for a given thread count.
// A whole step (`step`) keeps the main thread out of the arithmetic: the
// workers leave their gradients in shared memory, meet at a barrier, and each
// sums and updates its own slice of the parameters and optimizer state, from
// one of two shared state buffers into the other; the main thread copies the
// result out into the fresh records it returns. The numbers are those of
// `grad` followed by the optimizer's step on the main thread, bit for bit.

import { concatRows, tensor, type Tensor } from '../core/tensor.ts';
import type { Optimizer, Tree } from '../graph/index.ts';
import { heapOptimizer, type HeapOptimizer, type OptimizerHyper } from '../graph/optimizers/index.ts';
import { layoutOf, layoutSize, packTree, unpackTree } from '../graph/packing.ts';
import { kernelNames, kernelsByName, type KernelName } from '../ops/kernels/by-name.ts';
import { aFunction, oneOf, optionsBag, positiveInt } from '../core/check.ts';
import type { Kernels } from '../ops/kernels/types.ts';
import type { Labels } from '../ops/op.ts';
import type { BatchGrad, BatchStep, Source } from '../training/source.ts';
import { addWeighted, type NetworkSource, type WorkerInit, type WorkerPredict, type WorkerPredictReply, type WorkerReply, type WorkerStep, type WorkerTrainReply, type WorkerTrainStep } from './protocol.ts';

/** The most parameter-shaped state trees an optimizer may keep for a whole step over workers (Adam's m and v). */
const MAX_STATE_TREES = 2;

/** A worker as the source sees it: the platform's shell (worker_threads, Web Workers) provides it. */
export interface WorkerPort {
  /** Sends a message, moving the buffers in `transfer`. */
  readonly post: (message: unknown, transfer: ArrayBuffer[]) => void;
  /** Calls `f` with every message the worker sends. */
  readonly onMessage: (f: (message: unknown) => void) => void;
  /** Called with a few words (`failed: ...`, `exited (code 1)`) when the worker dies; after close() it is ignored. */
  readonly onFailure: (f: (why: string) => void) => void;
  /** Ends the worker. */
  readonly terminate: () => Promise<unknown>;
}

/** What {@link workerGradients} needs: the network the workers build, their kernels, how many, and how to start one. */
export interface WorkerSourceOptions {
  readonly network: NetworkSource;
  /** The workers' kernel set, by name: it goes in their start-up message, and each worker makes its own ('wasm' runs the network compiled). */
  readonly kernels: KernelName;
  readonly threads: number;
  /** Starts worker i with its init message (the shell passes it as workerData, or as the first message). */
  readonly spawn: (init: WorkerInit) => WorkerPort;
}

/** Throws unless `options` names a network, a kernel set and a thread count workers can be started with; `fn` is the caller's name. */
export const workerOptionsArg = (fn: string, options: unknown): void => {
  const bag = optionsBag(fn, 'options', options, '{ network, kernels, threads }');
  const network = optionsBag(fn, 'options.network', bag['network'], "{ kind: 'seed', init } or { kind: 'module', url, export }");
  oneOf(fn, 'options.network.kind', network['kind'], ['seed', 'module']);
  oneOf(fn, 'options.kernels', bag['kernels'], kernelNames);
  positiveInt(fn, 'options.threads', bag['threads']);
};

/**
 * A worker and its one call in flight. Its handlers stay for its whole life,
 * so an error or exit between calls is kept and fails the next call instead
 * of crashing the process or hanging it.
 */
interface Slot {
  readonly worker: WorkerPort;
  failure: Error | null;
  pending: { readonly resolve: (r: unknown) => void; readonly reject: (e: Error) => void } | null;
}

/**
 * A {@link Source} whose gradients, whole steps and outputs of each batch
 * are split over `threads` workers started by `spawn`, each running {@link serveGradients}; `template`
 * is any parameter record of the network, for the layout. One call at a
 * time; `close()` ends the workers. A call whose share fails in a worker (a
 * label out of range, a wrong input shape) fails with the worker's message
 * and changes nothing (a step makes no update); the next call works. A
 * worker that dies fails that call and every later one. Needs
 * SharedArrayBuffer: in a browser, a
 * cross-origin isolated page (COOP and COEP headers). In Node,
 * `parallelGradients` (`mnist-cnn-ts/node`) is this with worker threads.
 *
 * @example
 * const spawn = (init) => {
 *   const w = new Worker(new URL('./grad-worker.js', import.meta.url), { type: 'module' });
 *   w.postMessage(init);
 *   return {
 *     post: (m, t) => w.postMessage(m, t),
 *     onMessage: (f) => w.addEventListener('message', (e) => f(e.data)),
 *     onFailure: (f) => w.addEventListener('error', (e) => { e.preventDefault(); f(`failed: ${e.message}`); }),
 *     terminate: async () => w.terminate(),
 *   };
 * };
 * const source = workerGradients(params, { network: { kind: 'seed', init: 'he' }, kernels: 'wasm', threads: 2, spawn });
 * const r = await fit({ net, optimizer, source, ...rest }, initialState(params, optimizer));
 * await source.close();
 */
export const workerGradients = <P extends Tree>(template: P, options: WorkerSourceOptions): Source<P> => {
  workerOptionsArg('workerGradients', options);
  aFunction('workerGradients', 'options.spawn', options.spawn);
  const { network, kernels, threads, spawn } = options;
  const init = { network, kernels };
  // The workers' kernel set, here: for an optimizer step they cannot take (one of your own) and evaluation's defaults; made when first wanted.
  let set: Kernels | undefined;
  const kernelSet = (): Kernels => (set ??= kernelsByName(kernels));
  const layout = layoutOf(template);
  const total = layoutSize(layout);
  const shared = new SharedArrayBuffer(total * 4);
  const flat = new Float32Array(shared);
  const grads = new SharedArrayBuffer(threads * total * 4);
  // Parameters then up to two state trees (Adam's m and v); a step reads one and writes the other.
  const states = [new SharedArrayBuffer((1 + MAX_STATE_TREES) * total * 4), new SharedArrayBuffer((1 + MAX_STATE_TREES) * total * 4)] as const;
  const controlBuffer = new SharedArrayBuffer(12);
  const control = new Int32Array(controlBuffer);
  let closing = false;
  const slots = Array.from({ length: threads }, (_, i): Slot => {
    const slot: Slot = { worker: spawn({ ...init, layout, index: i, threads, grads, control: controlBuffer, states: [...states] }), failure: null, pending: null };
    // Messages and failures come through the shell's port; an exit after close is not a failure.
    const fail = (why: string): void => {
      slot.failure ??= new Error(`gradient worker ${i + 1} of ${threads} ${why}`);
      slot.pending?.reject(slot.failure);
      slot.pending = null;
      // A worker waiting for this one at a step's barrier gives up.
      Atomics.store(control, 1, 1);
      Atomics.notify(control, 0);
    };
    slot.worker.onFailure((why) => {
      if (!closing) fail(why);
    });
    slot.worker.onMessage((m) => {
      // A share that failed: this call fails with the worker's message; the worker goes on.
      const error = (m as { readonly error?: string }).error;
      if (error !== undefined) slot.pending?.reject(new Error(`gradient worker ${i + 1} of ${threads}: ${error}`));
      else slot.pending?.resolve(m);
      slot.pending = null;
    });
    return slot;
  });
  const call = <R>(slot: Slot, msg: WorkerStep | WorkerTrainStep | WorkerPredict, transfer: ArrayBuffer[]): Promise<R> =>
    new Promise((resolve, reject) => {
      if (slot.failure !== null) return reject(slot.failure);
      slot.pending = { resolve: resolve as (r: unknown) => void, reject };
      slot.worker.post(msg, transfer);
    });
  // One call at a time (the workers share one parameter buffer and one barrier); after close(), none.
  let busy = false;
  const exclusive = <A extends unknown[], R>(name: string, f: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
    if (closing) throw new Error(`workerGradients: ${name} after close()`);
    if (busy) throw new Error(`workerGradients: ${name} while another call is in flight; await each call before the next`);
    busy = true;
    try {
      return await f(...args);
    } finally {
      busy = false;
    }
  };
  const atLeastOne = (name: string, n: number): void => {
    if (!(n >= 1)) throw new RangeError(`workerGradients: ${name} needs at least one example`);
  };

  // Every worker's answer before the call returns or fails, so that no reply is left to be taken for the next call's.
  const allReplies = async <R>(calls: ReadonlyArray<Promise<R>>): Promise<R[]> => {
    const settled = await Promise.allSettled(calls);
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
    return settled.map((r) => (r as PromiseFulfilledResult<R>).value);
  };
  const sharesOf = (n: number): Array<readonly [number, number]> =>
    slots.map((_, i) => [Math.floor((i * n) / slots.length), Math.floor(((i + 1) * n) / slots.length)] as const);
  // Examples a to b of x, in a fresh array (transferred to the worker).
  const rowsOf = (x: Tensor, [a, b]: readonly [number, number]) => {
    const per = x.data.length / x.shape[0]!;
    return { x: (x.data as Float32Array).slice(a * per, b * per), shape: [b - a, ...x.shape.slice(1)] };
  };
  const shareOf = (x: Tensor, labels: Labels, [a, b]: readonly [number, number]) =>
    ({ ...rowsOf(x, [a, b]), labels: Int32Array.from({ length: b - a }, (_, j) => labels[a + j]!) });
  // The batch's mean loss (shares weighted by size) and right answers, from the replies of the non-empty shares.
  const tally = (replies: ReadonlyArray<{ readonly loss: number; readonly correct: number } | null>, shares: ReadonlyArray<readonly [number, number]>, n: number) => {
    let loss = 0;
    let correct = 0;
    replies.forEach((r, i) => {
      const [a, b] = shares[i]!;
      if (r === null || b === a) return;
      loss += ((b - a) / n) * r.loss;
      correct += r.correct;
    });
    return { loss, correct };
  };

  const valueAndGrad = async (params: P, x: Tensor, labels: Labels): Promise<BatchGrad<P>> => {
    packTree(params, layout, flat);
    const n = labels.length;
    const shares = sharesOf(n);
    const replies = await allReplies(
      shares.map(([a, b], i) => {
        if (b === a) return Promise.resolve(null);
        const share = shareOf(x, labels, [a, b]);
        const msg: WorkerStep = { kind: 'grad', params: shared, ...share };
        return call<WorkerReply>(slots[i]!, msg, [share.x.buffer as ArrayBuffer]);
      }),
    );
    const sum = new Float32Array(total);
    replies.forEach((r, i) => {
      if (r !== null) addWeighted(sum, r.grads, (shares[i]![1] - shares[i]![0]) / n);
    });
    return { ...tally(replies, shares, n), grads: unpackTree(layout, sum, { copy: false, template }) };
  };

  // The state buffer the last step wrote, with the records copied from it: a step from those records reads it as it is.
  let last: { readonly params: Tree; readonly state: Tree; readonly buffer: 0 | 1; readonly optimizer: HeapOptimizer } | null = null;
  let generation = 0;

  const step = async <S extends Tree>(optimizer: Optimizer<S>, params: P, state: S, x: Tensor, labels: Labels, lr: number): Promise<BatchStep<P, S>> => {
    const opt = heapOptimizer(optimizer) as HeapOptimizer | undefined;
    // An optimizer the library does not define: the workers' gradient, then its own step here.
    if (opt === undefined) {
      const g = await valueAndGrad(params, x, labels);
      return { loss: g.loss, correct: g.correct, ...optimizer.step(params, g.grads, state, { lr, kernels: kernelSet() }) };
    }
    const trees = opt.stateTrees(state);
    if (trees.length > MAX_STATE_TREES) throw new RangeError(`workerGradients: step keeps at most ${MAX_STATE_TREES} state trees; ${optimizer.name} has ${trees.length}`);
    const from = last?.buffer ?? 0;
    const to = from === 0 ? 1 : 0;
    // The same optimizer too: an SGD step leaves no state arrays for a momentum or Adam step to read.
    if (last === null || last.params !== params || last.state !== state || last.optimizer !== opt) {
      const f = new Float32Array(states[from]);
      packTree(params, layout, f.subarray(0, total));
      trees.forEach((tree, j) => packTree(tree, layout, f.subarray((j + 1) * total, (j + 2) * total)));
    }
    const rest = opt.rest(state);
    const n = labels.length;
    const shares = sharesOf(n);
    generation += 1;
    const replies = await allReplies(
      shares.map((range, i) => {
        const share = shareOf(x, labels, range);
        const msg: WorkerTrainStep = { kind: 'step', from, to, ...share, shares, hyper: opt.hyper as OptimizerHyper, lr, rest, generation };
        return call<WorkerTrainReply>(slots[i]!, msg, [share.x.buffer as ArrayBuffer]);
      }),
    );
    // One fresh copy of everything the step wrote (one memcpy), which the new records view.
    const out = new Float32Array(states[to], 0, (1 + trees.length) * total).slice();
    const view = <T extends Tree>(j: number, template: T): T => unpackTree(layout, out.subarray(j * total, (j + 1) * total), { copy: false, template });
    const nextParams = view(0, params);
    const nextState = opt.next(state, trees.map((tree, j) => view(j + 1, tree))) as S;
    last = { params: nextParams, state: nextState, buffer: to, optimizer: opt };
    return { ...tally(replies, shares, n), params: nextParams, state: nextState };
  };

  // The output for x, its examples split over the workers as a batch's are; the rows come back in order.
  const predict = async (params: P, x: Tensor): Promise<Tensor> => {
    packTree(params, layout, flat);
    const replies = await allReplies(
      sharesOf(x.shape[0]!).map(([a, b], i) => {
        if (b === a) return Promise.resolve(null);
        const rows = rowsOf(x, [a, b]);
        return call<WorkerPredictReply>(slots[i]!, { kind: 'predict', params: shared, ...rows }, [rows.x.buffer as ArrayBuffer]);
      }),
    );
    return concatRows(replies.filter((r) => r !== null).map((r) => tensor(r.shape, r.out)));
  };

  const close = async (): Promise<void> => {
    closing = true;
    // A call still waiting on a worker fails now rather than never.
    for (const slot of slots) {
      slot.pending?.reject(new Error('workerGradients: closed while a call was in flight'));
      slot.pending = null;
    }
    await Promise.all(slots.map((s) => s.worker.terminate()));
  };
  return {
    get kernels() {
      return kernelSet();
    },
    valueAndGrad: exclusive('valueAndGrad', (params: P, x: Tensor, labels: Labels) => (atLeastOne('valueAndGrad', labels.length), valueAndGrad(params, x, labels))),
    step: exclusive('step', <S extends Tree>(optimizer: Optimizer<S>, params: P, state: S, x: Tensor, labels: Labels, lr: number) => (atLeastOne('step', labels.length), step(optimizer, params, state, x, labels, lr))) as Source<P>['step'],
    predict: exclusive('predict', (params: P, x: Tensor) => (atLeastOne('predict', x.shape[0] ?? 0), predict(params, x))),
    close,
  };
};
