// What every lowering rule reads (the network's layout in the heap, the
// stage's leaves) and the shared arithmetic of splitting work with a helper
// thread: where to cut so that both threads run the very loops one thread
// would, and which work is big enough to be worth a hand-over.

import type { Kernels } from '../../ops/kernels/types.ts';
import type { Heap } from '../../ops/kernels/wasm/heap.ts';
import type { Emit } from '../calls.ts';
import type { LeafSlot, Layout } from '../layout.ts';
import type { Stage } from '../plan.ts';

/** What the rules of one program read. */
export interface LowerContext {
  readonly layout: Layout;
  readonly stages: readonly Stage[];
  /** For layers of the user's own: the heap they copy through and the kernel set they run on. */
  readonly heap: Heap;
  readonly eager: Kernels;
  /** Whether convolutions run as Winograd where it applies (conv-calls.ts). */
  readonly winograd: boolean;
}

/** What a rule's backward pass is given: where dy is, where dx goes, and the step that follows. */
export interface BackwardPass {
  /** The buffer holding dy. */
  readonly d: number;
  /** The buffer the input gradient goes to, when wanted. */
  readonly dx: number;
  /** Whether the input gradient is wanted (some stage before has parameters). */
  readonly needDx: boolean;
  /** The step that follows: none (gradients only), plain SGD (a dense layer may fuse it at batch 1), or another optimizer. */
  readonly step: 'none' | 'sgd' | 'other';
  /** Leaves already updated in the backward pass; a rule that updates one adds it. */
  readonly updated: Set<number>;
}

/** A lowering rule: the calls of a stage's forward pass, and of its backward pass (returning where its input gradient went). */
export interface Rule<S extends Stage> {
  readonly forward: (st: S, i: number, c: LowerContext, e: Emit) => void;
  readonly backward: (st: S, i: number, c: LowerContext, e: Emit, b: BackwardPass) => number;
}

/** Stage i's weight and bias slots. */
export const slotsOf = (c: LowerContext, i: number): { readonly w: LeafSlot | undefined; readonly b: LeafSlot | undefined } => {
  const own = c.layout.own[i]!;
  return { w: c.layout.leaves[own.w], b: c.layout.leaves[own.b] };
};

/** Leaves at least this long are updated half by each thread. */
export const SPLIT_UPDATE = 1 << 15;
/** An untied bias's gradient is split by columns, one call per row, up to this many rows. */
export const SPLIT_ROWS = 256;
/** Products of at least this many multiply-adds are worth a hand-over to the helper (one costs a few microseconds). */
export const SPLIT_WORK = 1 << 16;

/** Half of n, rounded down to a multiple of `align`. */
export const halfOf = (n: number, align = 1): number => Math.floor(n / 2 / align) * align;

/** Whether a product's rows can be cut at `half` of `rows` without changing a bit: each side keeps the GEMM's 4-row kernels. */
export const halves = (half: number, rows: number): boolean => half >= 4 && rows - half >= 4;

/** Runs f over [0, at) on this thread and over [at, to) on the helper. */
export const splitAt = (e: Emit, at: number, to: number, f: (e: Emit, from: number, to: number) => void): void =>
  e.split((h) => f(h, at, to), (own) => f(own, 0, at));
