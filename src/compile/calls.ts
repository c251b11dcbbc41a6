// A compiled network's call lists, in the manner of tinygrad's captured
// kernel calls: the lowering rules (lower/) run once per (plan, batch size)
// against recording kernels, and what they called is kept as data; every
// later call of the network replays the list. Most entries are kernel calls
// with fixed arguments (heap offsets and sizes). The rest say what only the
// step can fill in (an optimizer's update of a leaf range, a kernel taking
// the learning rate), run a layer of the user's own, or mark a split: two
// halves that a helper thread and the calling thread run at once, or the
// calling thread one after the other, with the same numbers either way.

import { callTable, recordingKernels, type HeapKernels, type Scratch } from '../ops/kernels/wasm/heap-kernels.ts';
import type { KernelHelper } from './helper.ts';

/** One optimizer update of n values at heap offsets, in place: parameters, gradient, state arrays (in the optimizer's order). */
export type HeapUpdate = (el: HeapKernels['el'], at: { readonly p: number; readonly g: number; readonly s: readonly number[]; readonly n: number }) => void;

/** What a step fills in when a list is replayed. */
export interface StepCalls {
  /** The optimizer's update of a leaf range. */
  readonly update: HeapUpdate;
  /** The learning rate, for kernels that take it (a dense layer's fused batch-1 SGD). */
  readonly lr: number;
}

/** What replaying a list touches besides the heap: a layer of the user's own keeps its op here for its backward pass. */
export interface HostState {
  readonly eagerParams: readonly unknown[];
  readonly train: boolean;
  readonly ops: Map<number, unknown>;
  readonly grads: unknown[];
}

/** One entry of a call list. */
export type Entry =
  | { readonly kind: 'call'; readonly op: number; readonly args: readonly number[] }
  /** A kernel call whose argument `lrArg` is the step's learning rate. */
  | { readonly kind: 'lrCall'; readonly op: number; readonly args: readonly number[]; readonly lrArg: number }
  /** The step's optimizer update of values [from, to) of a leaf, at these offsets. */
  | { readonly kind: 'update'; readonly p: number; readonly g: number; readonly s: readonly number[]; readonly from: number; readonly to: number }
  /** Two halves: `helper` on the helper thread while `caller` runs here. */
  | { readonly kind: 'split'; readonly helper: readonly Entry[]; readonly caller: readonly Entry[] }
  /** Host code: a layer of the user's own, on its own `apply`. */
  | { readonly kind: 'host'; readonly run: (host: HostState) => void };

/** What a lowering rule calls to add to the list being captured. */
export interface Emit {
  /** Kernels that add a call to the list. */
  readonly k: HeapKernels;
  /** The scratch of the thread this part of the list runs on. */
  readonly scratch: Scratch;
  /** Whether a helper thread runs split halves (else both run here, `caller` first). */
  readonly helped: boolean;
  /** Adds a split: `helper` on the helper thread while `caller` runs here. */
  readonly split: (helper: (e: Emit) => void, caller: (e: Emit) => void) => void;
  /** Adds the step's update of values [from, to) of `leaf`. */
  readonly update: (leaf: { readonly at: number; readonly gradAt: number; readonly stateAt: readonly number[] }, from: number, to: number) => void;
  /** Adds a kernel call whose argument `lrArg` is the step's learning rate (the value passed there is ignored). */
  readonly withLr: (lrArg: number, call: (k: HeapKernels) => void) => void;
  readonly host: (run: (host: HostState) => void) => void;
}

/** Captures what `lower` emits, the calling thread's part on `scratch`, a helper's halves on `helperScratch`. */
export const capture = (lower: (e: Emit) => void, scratch: Scratch, helperScratch: Scratch | undefined): Entry[] => {
  const into = (list: Entry[], own: Scratch): Emit => {
    const k = recordingKernels((op, args) => list.push({ kind: 'call', op, args }));
    const e: Emit = {
      k,
      scratch: own,
      helped: helperScratch !== undefined,
      split: (helper, caller) => {
        if (helperScratch === undefined) {
          caller(e);
          helper(e);
          return;
        }
        const h: Entry[] = [];
        const c: Entry[] = [];
        helper(into(h, helperScratch));
        caller(into(c, own));
        list.push({ kind: 'split', helper: h, caller: c });
      },
      update: (leaf, from, to) => list.push({ kind: 'update', p: leaf.at + from * 4, g: leaf.gradAt + from * 4, s: leaf.stateAt.map((a) => a + from * 4), from, to }),
      withLr: (lrArg, call) => call(recordingKernels((op, args) => list.push({ kind: 'lrCall', op, args, lrArg }))),
      host: (run) => list.push({ kind: 'host', run }),
    };
    return e;
  };
  const list: Entry[] = [];
  lower(into(list, scratch));
  return list;
};

/** Where a replay runs its calls: kernels, and how to run one recorded call on them. */
export interface Sink {
  readonly k: HeapKernels;
  readonly call: (op: number, args: readonly number[]) => void;
}

const withLr = (e: { readonly args: readonly number[]; readonly lrArg: number }, lr: number): number[] => e.args.map((a, i) => (i === e.lrArg ? lr : a));

const run = (list: readonly Entry[], sink: Sink, helper: KernelHelper | undefined, step: StepCalls | undefined, host: HostState | undefined): void => {
  for (const e of list) {
    switch (e.kind) {
      case 'call':
        sink.call(e.op, e.args);
        break;
      case 'lrCall':
        sink.call(e.op, withLr(e, step!.lr));
        break;
      case 'update':
        step!.update(sink.k.el, { p: e.p, g: e.g, s: e.s, n: e.to - e.from });
        break;
      case 'host':
        host !== undefined && e.run(host);
        break;
      case 'split':
        if (helper === undefined || helper.solo()) {
          run(e.caller, sink, helper, step, host);
          run(e.helper, sink, helper, step, host);
        } else {
          helper.together(
            (theirs) => run(e.helper, theirs, undefined, step, undefined),
            () => run(e.caller, sink, helper, step, host),
          );
        }
        break;
    }
  }
};

/** The calling thread's sink: its kernels, run at once. */
export const directSink = (k: HeapKernels): Sink => {
  const table = callTable(k);
  return { k, call: (op, args) => table[op]!(args) };
};

/** Replays a list on the calling thread's `sink`, handing split halves to `helper` when there is one. */
export const replay = (list: readonly Entry[], sink: Sink, helper: KernelHelper | undefined, step?: StepCalls, host?: HostState): void =>
  run(list, sink, helper, step, host);
