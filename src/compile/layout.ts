// Where a planned network lives in its heap at one batch size: each
// parameter leaf with its gradient and two optimizer-state slots, every
// stage's output (a flatten shares its input's), the pools' argmax, two
// gradient buffers used in turn by the backward pass, and each thread's
// scratch (the block convolutions unroll into, then its GEMM workspace).
// Laid out once per (plan, batch size); nothing here runs a kernel.

import { sizeOf } from '../core/tensor.ts';
import { colsFloats, convGemmShapes, isWinograd } from '../ops/kernels/wasm/conv-calls.ts';
import type { Heap } from '../ops/kernels/wasm/heap.ts';
import type { Scratch } from '../ops/kernels/wasm/heap-kernels.ts';
import type { Stage } from './plan.ts';

/** A parameter leaf a stage reads: where it is in the record, and where it and its gradient live in the heap. */
export interface LeafSlot {
  /** The path of the layer's record, then the leaf's key: ['conv1', 'w']. */
  readonly path: readonly string[];
  readonly size: number;
  readonly shape: readonly number[];
  readonly at: number;
  readonly gradAt: number;
  /** Where the optimizer's state arrays for this leaf go during an update (momentum's velocity; Adam's m, v). */
  readonly stateAt: readonly [number, number];
}

/** A planned network's places in the heap at batch n (byte offsets). */
export interface Layout {
  readonly n: number;
  /** The parameter leaves, in stage order. */
  readonly leaves: readonly LeafSlot[];
  /** Stage i's weight and bias leaves (indexes into `leaves`, -1 for none). */
  readonly own: ReadonlyArray<{ readonly w: number; readonly b: number }>;
  /** acts[0] is the input, acts[i + 1] stage i's output. */
  readonly acts: readonly number[];
  /** Stage i's argmax (pools), else -1. */
  readonly argmax: readonly number[];
  /** The two gradient buffers of the backward pass. */
  readonly dBufs: readonly [number, number];
  /** The calling thread's scratch, and the helper's when there is one. */
  readonly scratch: Scratch;
  readonly helperScratch: Scratch | undefined;
  /** The output's shape (batch first) and size. */
  readonly outShape: readonly number[];
  readonly outSize: number;
}

/** The (m, n, k) of every GEMM a stage may run at batch n, for the helper's workspace. */
const gemmShapes = (stages: readonly Stage[], n: number, winograd: boolean): Array<readonly [number, number, number]> =>
  stages.flatMap((st): Array<readonly [number, number, number]> => {
    if (st.kind === 'dense') return [[n, st.units, st.inputs], [n, st.inputs, st.units], [st.inputs, st.units, n]];
    return st.kind === 'conv' ? convGemmShapes(st.g, st.filters, n, isWinograd(st.g, st.filters, n, winograd)) : [];
  });

/**
 * Lays out `stages` at batch n in `heap`. With a helper thread, it gets an
 * unrolling block and room for the largest GEMM workspace of its own
 * (`workspace` gives a GEMM's bytes).
 */
export const layOut = (
  heap: Heap, stages: readonly Stage[], inShape: readonly number[], n: number, winograd: boolean,
  helper: { readonly workspace: (m: number, n: number, k: number) => number } | undefined,
): Layout => {
  const wanted: Array<{ path: readonly string[]; shape: readonly number[] }> = [];
  const leaf = (path: readonly string[], shape: readonly number[]): number => wanted.push({ path, shape }) - 1;
  const own = stages.map((st) => {
    switch (st.kind) {
      case 'conv':
        return {
          w: leaf([...st.at.path, 'w'], [st.g.kh, st.g.kw, st.g.c, st.filters]),
          b: st.bias === undefined ? -1 : leaf([...st.bias.at.path, 'b'], st.bias.untied ? st.bias.at.inShape : [st.filters]),
        };
      case 'dense':
        return { w: leaf([...st.at.path, 'w'], [st.inputs, st.units]), b: leaf([...st.at.path, 'b'], [st.units]) };
      case 'bias':
        return { w: -1, b: leaf([...st.at.path, 'b'], st.untied ? st.at.inShape : [st.channels]) };
      default:
        return { w: -1, b: -1 };
    }
  });

  // Blocks in the order they are laid out; each `want` gives its index.
  const sizes: number[] = [];
  const want = (count: number): number => sizes.push(count) - 1;
  const leafBlocks = wanted.map((l) => [want(sizeOf(l.shape)), want(sizeOf(l.shape)), want(sizeOf(l.shape)), want(sizeOf(l.shape))] as const);
  const actBlocks = [want(n * sizeOf(inShape))];
  let maxAct = n * sizeOf(inShape);
  let cols = 0;
  const amBlocks = stages.map((st, i) => {
    const size = n * sizeOf(st.at.outShape);
    actBlocks.push(st.kind === 'flatten' ? actBlocks[i]! : want(size));
    maxAct = Math.max(maxAct, size);
    if (st.kind === 'conv') cols = Math.max(cols, colsFloats(st.g, n, st.filters, isWinograd(st.g, st.filters, n, winograd)));
    return st.kind === 'maxPool' ? want(size) : -1;
  });
  const dBlocks = [want(maxAct), want(maxAct)] as const;
  const colsBlock = want(cols);
  const helperBlocks = helper === undefined ? [] : [want(cols), want(Math.max(0, ...gemmShapes(stages, n, winograd).map(([a, b, c]) => helper.workspace(a, b, c))) / 4 + 16)];
  const endBlock = want(0);
  const offs = heap.layout(...sizes);

  const last = stages.length === 0 ? inShape : stages[stages.length - 1]!.at.outShape;
  return {
    n,
    leaves: wanted.map((l, i) => {
      const [p, g, s1, s2] = leafBlocks[i]!;
      return { ...l, size: sizeOf(l.shape), at: offs[p]!, gradAt: offs[g]!, stateAt: [offs[s1]!, offs[s2]!] as const };
    }),
    own,
    acts: actBlocks.map((b) => offs[b]!),
    argmax: amBlocks.map((b) => (b < 0 ? -1 : offs[b]!)),
    dBufs: [offs[dBlocks[0]]!, offs[dBlocks[1]]!],
    scratch: { cols: offs[colsBlock]!, end: offs[endBlock]! },
    helperScratch: helper === undefined ? undefined : { cols: offs[helperBlocks[0]!]!, end: offs[helperBlocks[1]!]! },
    outShape: [n, ...last],
    outSize: n * sizeOf(last),
  };
};
