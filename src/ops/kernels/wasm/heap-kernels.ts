// The WASM kernels as one thread calls them on a heap (byte offsets, no
// copies): the elementwise exports, the GEMM, the fused batch-1 SGD of a dense
// layer, and two host loops (zeroing, broadcasting a row). An op's kernel-call
// sequence (conv-calls.ts, pool-calls.ts, ops/dense-calls.ts) is written once
// against this interface: the eager kernel set runs it directly after copying
// its operands in, and a compiled network records it into a call list that it
// replays, on one thread or split with a helper thread.
//
// A call is also plain data, `(op, args)` with numeric arguments, so that it
// can be kept in a list or handed to another thread through shared memory:
// `recordingKernels` turns calls into data, `callTable` runs data as calls.

import type { ElementwiseExports } from './elementwise-wasm.ts';
import type { DenseSgdAt, GemmAt } from './gemm-wasm.ts';
import type { Heap } from './heap.ts';

/** The kernels on heap offsets one thread calls. */
export interface HeapKernels {
  readonly el: ElementwiseExports;
  readonly gemmAt: GemmAt;
  readonly denseSgdAt: DenseSgdAt;
  /** Zeroes `count` floats at a byte offset. */
  readonly zero: (off: number, count: number) => void;
  /** Copies the row of m floats at `b` into each of `rows` rows at `y`. */
  readonly fillRows: (y: number, b: number, rows: number, m: number) => void;
}

/** Where a thread's scratch lies: the block convolutions unroll into, and its GEMM workspace after `end`. */
export interface Scratch {
  readonly cols: number;
  readonly end: number;
}

/** The elementwise exports, by name (the fragments in elementwise/). */
const ELEMENTWISE = [
  'relu', 'relu_back', 'add_rows', 'sum_rows', 'add_rows_relu', 'relu_back_sum', 'unroll', 'conv_c1', 'conv_c1_bias',
  'conv_c1_back_w', 'max_pool', 'max_pool_back', 'sgd', 'momentum', 'adam', 'wino_tiles', 'wino_output', 'wino_filter',
  'wino_filter_back',
] as const satisfies ReadonlyArray<keyof ElementwiseExports>;

/** Every kernel a call can name, by index: a call's `op`. */
export const KERNEL_OPS = ['gemmAt', 'denseSgdAt', 'zero', 'fillRows', ...ELEMENTWISE] as const;
export type KernelOp = (typeof KERNEL_OPS)[number];
const opIndex = new Map<string, number>(KERNEL_OPS.map((o, i) => [o, i]));

/** The host loops of {@link HeapKernels} on a heap. */
export const heapKernels = (heap: Heap, gemmAt: GemmAt, denseSgdAt: DenseSgdAt, el: ElementwiseExports): HeapKernels => ({
  el,
  gemmAt,
  denseSgdAt,
  zero: (off, count) => void heap.f32().fill(0, off >> 2, (off >> 2) + count),
  fillRows: (y, b, rows, m) => {
    const f32 = heap.f32();
    const row = f32.subarray(b >> 2, (b >> 2) + m);
    for (let r = 0; r < rows; r++) f32.set(row, (y >> 2) + r * m);
  },
});

/**
 * Kernels that run nothing: each call is handed to `record` as its kernel's
 * index and numeric arguments (a flag as 1 or 0, an absent offset as -1).
 */
export const recordingKernels = (record: (op: number, args: readonly number[]) => void): HeapKernels => {
  const rec = (op: KernelOp) => (...args: ReadonlyArray<number | boolean | undefined>): void =>
    record(opIndex.get(op)!, args.map((a) => (a === undefined ? -1 : typeof a === 'boolean' ? (a ? 1 : 0) : a)));
  return {
    el: Object.fromEntries(ELEMENTWISE.map((op) => [op, rec(op)])) as unknown as ElementwiseExports,
    gemmAt: rec('gemmAt'),
    denseSgdAt: rec('denseSgdAt'),
    zero: rec('zero'),
    fillRows: rec('fillRows'),
  };
};

/**
 * How to run a recorded call (see {@link recordingKernels}) on `k`: one
 * function per kernel index, resolved once, so a replay does no lookup by name.
 */
export const callTable = (k: HeapKernels): ReadonlyArray<(a: readonly number[]) => void> =>
  KERNEL_OPS.map((name): ((a: readonly number[]) => void) => {
    switch (name) {
      case 'gemmAt':
        return (a) => k.gemmAt(a[0] === 1, a[1] === 1, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9] === 1);
      case 'denseSgdAt':
        return (a) => k.denseSgdAt(a[0]!, a[1]!, a[2]!, a[3]! < 0 ? undefined : a[3], a[4]!, a[5]!, a[6]!);
      case 'zero':
        return (a) => k.zero(a[0]!, a[1]!);
      case 'fillRows':
        return (a) => k.fillRows(a[0]!, a[1]!, a[2]!, a[3]!);
      default: {
        const f = k.el[name] as (...args: readonly number[]) => void;
        return (a) => f(...a);
      }
    }
  });
