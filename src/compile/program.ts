// A planned network at one batch size: laid out once in its heap (layout.ts),
// lowered once into call lists (lower/, calls.ts) — each stage's forward
// calls, and its backward calls for each kind of step that follows — and
// run by replaying them. A run copies the parameters and the batch in and
// copies out only what the caller gets: the output, the gradients or the
// updated parameters and optimizer state. The calls are the eager WASM ops'
// own (the same sequences, on the same chunks), so the results are theirs
// bit for bit.

import { tensor, type Data, type Tensor } from '../core/tensor.ts';
import type { Tree } from '../graph/tree.ts';
import type { Kernels } from '../ops/kernels/types.ts';
import type { Heap } from '../ops/kernels/wasm/heap.ts';
import type { HeapKernels } from '../ops/kernels/wasm/heap-kernels.ts';
import { capture, directSink, replay, type Entry, type HostState, type StepCalls } from './calls.ts';
import type { KernelHelper } from './helper.ts';
import { layOut, type LeafSlot } from './layout.ts';
import { halfOf, SPLIT_UPDATE, splitAt } from './lower/context.ts';
import { ruleOf, type BackwardPass, type LowerContext } from './lower/index.ts';
import type { Stage } from './plan.ts';

export type { LeafSlot } from './layout.ts';

/** The WASM a program runs on: one heap, the kernels on it, and a kernel set for eager stages. */
export interface Machine {
  readonly heap: Heap;
  readonly kernels: HeapKernels;
  readonly eager: Kernels;
  /** Whether convolutions run as Winograd where it applies (the eager set's choice). */
  readonly winograd: boolean;
  /** Bytes of scratch a GEMM of these sizes needs. */
  readonly workspace: (m: number, n: number, k: number) => number;
  /** A second thread on the same (shared) heap: the program splits its work with it. */
  readonly helper?: KernelHelper;
}

/** One optimizer step, as a program runs it: what the calls fill in, whether it is plain SGD, and the state arrays given (leaf by leaf) or left in the heap by the last update. */
export interface StepSettings {
  readonly calls: StepCalls;
  /** p <- p - lr g: a dense layer at batch 1 may then update its weights in its backward pass. */
  readonly plainSgd: boolean;
  readonly state: ReadonlyArray<readonly Readonly<Data>[]> | { readonly inHeap: number };
}

/** How {@link Program.backward} runs: stage times into `times`, gradients kept in the heap, the step that follows. */
export interface BackwardOptions {
  readonly times?: number[];
  readonly keep?: boolean;
  /** The optimizer step that follows: backward may update some leaves already. */
  readonly step?: StepSettings;
}

/** One batch size's program: forward (with what backward needs kept in the heap), backward and the update. */
export interface Program {
  readonly n: number;
  /** The heap it lives in (its machine's). */
  readonly heap: Heap;
  readonly leaves: readonly LeafSlot[];
  /** Copies params and x in, runs every stage; returns the output (fresh). `train` keeps what backward needs (eager stages' closures). */
  readonly forward: (leafData: readonly Readonly<Data>[] | 'in heap', eagerParams: readonly Tree[], x: Readonly<Float32Array>, train: boolean, times?: number[]) => Tensor;
  /**
   * From the output gradient, the gradient of every leaf (fresh arrays, in
   * `leaves` order; none when `keep`, which leaves them in the heap for
   * `update`) and of every eager stage's record. Given the `step` that
   * follows, some leaves may be updated already (at batch 1, plain SGD
   * updates a dense layer's weights in the same pass; with a helper, the
   * largest leaf is updated beside the first layer's filter gradient).
   */
  readonly backward: (dOut: Readonly<Data>, options?: BackwardOptions) => { readonly leaves: Float32Array[]; readonly eager: Tree[] };
  /**
   * The step's update of every leaf backward has not updated, on the
   * gradients it kept in the heap (give the same step). Gives the new
   * parameter and state arrays of every leaf, fresh.
   */
  readonly update: (step: StepSettings) => Array<{ readonly p: Float32Array; readonly state: Float32Array[] }>;
}

type StepKind = BackwardPass['step'];
const kindOf = (step: StepSettings | undefined): StepKind => (step === undefined ? 'none' : step.plainSgd ? 'sgd' : 'other');

/** Lays out `stages` at batch n, lowers them, and returns the program that replays them. */
export const createProgram = (machine: Machine, stages: readonly Stage[], inShape: readonly number[], n: number): Program => {
  const { heap, helper } = machine;
  const layout = layOut(heap, stages, inShape, n, machine.winograd, helper === undefined ? undefined : { workspace: machine.workspace });
  const { leaves, acts, dBufs } = layout;
  const c: LowerContext = { layout, stages, heap, eager: machine.eager, winograd: machine.winograd };
  const lower = (f: Parameters<typeof capture>[0]): Entry[] => capture(f, layout.scratch, layout.helperScratch);
  const sink = directSink(machine.kernels);

  const forwardCalls = stages.map((st, i) => lower((e) => ruleOf(st).forward(st, i, c, e)));

  // Whether stage i's input gradient is wanted: only when a stage before it has parameters (or is a layer of
  // your own). The first layer's, and that of a dense layer after a first flatten, is never computed.
  const needDx = stages.map((_, i) => stages.slice(0, i).some((st) => st.kind === 'conv' || st.kind === 'dense' || st.kind === 'bias' || st.kind === 'eager'));
  // The backward calls (stage by stage), the leaves they update, and the update of the rest, per kind of step.
  const lowerBackward = (step: StepKind) => {
    const updated = new Set<number>();
    const calls: Entry[][] = [];
    let d = dBufs[0];
    for (let i = stages.length - 1; i >= 0; i--) {
      const st = stages[i]!;
      const pass: BackwardPass = { d, dx: d === dBufs[0] ? dBufs[1] : dBufs[0], needDx: needDx[i]!, step, updated };
      calls[i] = lower((e) => {
        d = ruleOf(st).backward(st, i, c, e, pass);
      });
    }
    const update = lower((e) => leaves.forEach((l, i) => {
      if (updated.has(i)) return;
      if (e.helped && l.size >= SPLIT_UPDATE) splitAt(e, halfOf(l.size, 16), l.size, (t, from, to) => t.update(l, from, to));
      else e.update(l, 0, l.size);
    }));
    return { calls, update };
  };
  const backwardCalls = new Map<StepKind, ReturnType<typeof lowerBackward>>();
  const backwardFor = (step: StepKind): ReturnType<typeof lowerBackward> => {
    let b = backwardCalls.get(step);
    if (b === undefined) backwardCalls.set(step, (b = lowerBackward(step)));
    return b;
  };

  // The eager stages' ops between a forward pass and its backward pass.
  let host: HostState = { eagerParams: [], train: false, ops: new Map(), grads: [] };
  const timed = (lists: readonly (readonly Entry[])[], order: readonly number[], step: StepCalls | undefined, times?: number[]): void => {
    for (const i of order) {
      const t0 = times === undefined ? 0 : performance.now();
      replay(lists[i]!, sink, helper, step, host);
      if (times !== undefined) times[i] = performance.now() - t0;
    }
  };
  const forwardOrder = stages.map((_, i) => i);
  const backwardOrder = [...forwardOrder].reverse();
  const f32 = (): Float32Array => heap.f32();
  const take = (off: number, size: number): Float32Array => f32().slice(off >> 2, (off >> 2) + size);

  return {
    n,
    heap,
    leaves,
    forward: (leafData, eagerParams, x, train, times) => {
      // 'in heap': the parameters are the ones this program's last update left there.
      if (leafData !== 'in heap') leaves.forEach((l, i) => f32().set(leafData[i] as Float32Array, l.at >> 2));
      f32().set(x, acts[0]! >> 2);
      host = { eagerParams, train, ops: new Map(), grads: [] };
      timed(forwardCalls, forwardOrder, undefined, times);
      return tensor(layout.outShape, take(acts[stages.length]!, layout.outSize));
    },
    backward: (dOut, { times, keep = false, step } = {}) => {
      f32().set(dOut as Float32Array, dBufs[0] >> 2);
      // The given optimizer state goes in first: the backward pass may update leaves already.
      if (step !== undefined && !('inHeap' in step.state)) {
        const given = step.state;
        leaves.forEach((l, i) => (given[i] ?? []).forEach((data, k) => f32().set(data as Float32Array, l.stateAt[k]! >> 2)));
      }
      timed(backwardFor(kindOf(step)).calls, backwardOrder, step?.calls, times);
      const grads = [...host.grads].reverse() as Tree[];
      return { leaves: keep ? [] : leaves.map((l) => take(l.gradAt, l.size)), eager: grads };
    },
    update: (step) => {
      replay(backwardFor(kindOf(step)).update, sink, helper, step.calls);
      // { inHeap: k }: the k state arrays are the ones this program's last update left in the heap.
      return leaves.map((l, i) => {
        const count = 'inHeap' in step.state ? step.state.inHeap : (step.state[i] ?? []).length;
        return { p: take(l.at, l.size), state: Array.from({ length: count }, (_, k) => take(l.stateAt[k]!, l.size)) };
      });
    },
  };
};

