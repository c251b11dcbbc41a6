// A planned network at one batch size, laid out once in one WASM heap: the
// parameters, their gradients, every stage's output, the pools' argmax, two
// gradient buffers used in turn and the unrolling scratch each get a fixed
// place. A run copies the parameters and the batch in, runs every stage on
// the heap, and copies out only what the caller gets: the logits, and the
// gradients after the backward pass. The loops are the same kernels, called
// in the same order on the same chunks, as the eager WASM ops, so the
// results are theirs bit for bit.

import { sizeOf, tensor, type Data, type Tensor } from '../core/tensor.ts';
import type { Tree } from '../graph/tree.ts';
import type { Kernels, WindowGeometry } from '../ops/kernels/types.ts';
import { adamAt, geometryArgs, type ElementwiseExports } from '../ops/kernels/wasm/elementwise-wasm.ts';
import type { DenseSgdAt, GemmAt } from '../ops/kernels/wasm/gemm-wasm.ts';
import type { Heap } from '../ops/kernels/wasm/heap.ts';
import { imagesPerChunk } from '../ops/kernels/wasm/conv-wasm.ts';
import type { Op } from '../ops/op.ts';
import type { LayerBackward } from '../graph/layer.ts';
import { adamHyper, type OptimizerHyper } from '../graph/optimizers.ts';
import type { Stage } from './plan.ts';

/** The WASM a program runs on: one heap, the GEMM and the elementwise exports instantiated on it, and a kernel set for eager stages. */
export interface Machine {
  readonly heap: Heap;
  readonly gemmAt: GemmAt;
  readonly denseSgdAt: DenseSgdAt;
  readonly el: ElementwiseExports;
  readonly eager: Kernels;
}

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

/** How {@link Program.backward} runs: stage times into `times`, gradients kept in the heap, a fused SGD step. */
export interface BackwardOptions {
  readonly times?: number[];
  readonly keep?: boolean;
  readonly sgd?: number;
}

/** One batch size's program: forward (with what backward needs kept in the heap) and backward. */
export interface Program {
  readonly n: number;
  readonly leaves: readonly LeafSlot[];
  /** Copies params and x in, runs every stage; returns the output (fresh). `train` keeps what backward needs (eager stages' closures). */
  readonly forward: (leafData: readonly Readonly<Data>[] | 'in heap', eagerParams: readonly Tree[], x: Readonly<Float32Array>, train: boolean, times?: number[]) => Tensor;
  /**
   * From the output gradient, the gradient of every leaf (fresh arrays, in
   * `leaves` order; none when `keep`, which leaves them in the heap for
   * `update`) and of every eager stage's record. With `sgd` (a learning
   * rate; batch 1 only), a dense layer whose sizes allow it takes its SGD
   * step in the same pass over its weights: `updated` names those leaves,
   * which `update` must then skip.
   */
  readonly backward: (dOut: Readonly<Data>, options?: BackwardOptions) => { readonly leaves: Float32Array[]; readonly eager: Tree[]; readonly updated: ReadonlySet<number> };
  /**
   * The optimizer's update of every leaf on the gradients `backward` kept in
   * the heap: `state[i]` are leaf i's state arrays (none for SGD; momentum's
   * velocity; Adam's m and v). Gives the new parameter and state arrays,
   * fresh, computed as the kernel set's sgd, momentum and adam compute them.
   */
  readonly update: (hyper: OptimizerHyper, lr: number, t: number, state: ReadonlyArray<readonly Readonly<Data>[]> | { readonly inHeap: number }, updated?: ReadonlySet<number>) => Array<{ readonly p: Float32Array; readonly state: Float32Array[] }>;
}

/**
 * One optimizer update of n values at heap offsets, in place: gradient `g`,
 * parameters `p`, state arrays `s1` (momentum's velocity, Adam's m) and `s2`
 * (Adam's v); the same calls, with the same float32 arguments, as the kernel
 * set's optimizer kernels. Compiled steps and the gradient workers run it.
 */
export const optimizerAt = (
  el: Pick<ElementwiseExports, 'sgd' | 'momentum' | 'adam'>, hyper: OptimizerHyper, lr: number, t: number,
  at: { readonly p: number; readonly g: number; readonly s1: number; readonly s2: number; readonly n: number },
): void => {
  if (hyper.name === 'sgd') el.sgd(at.p, at.g, at.n, lr);
  else if (hyper.name === 'momentum') el.momentum(at.p, at.s1, at.g, at.n, hyper.mu, lr);
  else adamAt(el, at.p, at.s1, at.s2, at.g, at.n, adamHyper(hyper, t, lr));
};

/** Lays out `stages` at batch n and returns the program that runs them. */
export const createProgram = (machine: Machine, stages: readonly Stage[], inShape: readonly number[], n: number): Program => {
  const { heap, gemmAt, denseSgdAt, el } = machine;
  // The parameter leaves, in stage order, and which ones each stage reads.
  const wanted: Array<{ path: readonly string[]; shape: readonly number[] }> = [];
  const own = stages.map((st) => {
    const leaf = (path: readonly string[], shape: readonly number[]): number => wanted.push({ path, shape }) - 1;
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

  // The heap: parameters and gradients, each stage's output (flatten shares its input's), argmax, two gradient buffers, scratch.
  const sizes: number[] = [];
  const want = (count: number): number => sizes.push(count) - 1;
  const leafBlocks = wanted.map((l) => [want(sizeOf(l.shape)), want(sizeOf(l.shape)), want(sizeOf(l.shape)), want(sizeOf(l.shape))] as const);
  const actBlocks = [want(n * sizeOf(inShape))];
  let maxAct = n * sizeOf(inShape);
  let colsSize = 0;
  const amBlocks = stages.map((st, i) => {
    const size = n * sizeOf(st.at.outShape);
    actBlocks.push(st.kind === 'flatten' ? actBlocks[i]! : want(size));
    maxAct = Math.max(maxAct, size);
    if (st.kind === 'conv') colsSize = Math.max(colsSize, Math.min(n, imagesPerChunk(st.g)) * st.g.ho * st.g.wo * st.g.kh * st.g.kw * st.g.c);
    return st.kind === 'maxPool' ? want(size) : -1;
  });
  const dBlocks = [want(maxAct), want(maxAct)] as const;
  const colsBlock = want(colsSize);
  const endBlock = want(0);
  const offs = heap.layout(...sizes);
  const leaves: LeafSlot[] = wanted.map((l, i) => {
    const [p, g, s1, s2] = leafBlocks[i]!;
    return { ...l, size: sizeOf(l.shape), at: offs[p]!, gradAt: offs[g]!, stateAt: [offs[s1]!, offs[s2]!] as const };
  });
  const acts = actBlocks.map((b) => offs[b]!);
  const argmax = amBlocks.map((b) => (b < 0 ? -1 : offs[b]!));
  const dBufs = [offs[dBlocks[0]]!, offs[dBlocks[1]]!] as const;
  const cols = offs[colsBlock]!;
  const end = offs[endBlock]!;
  const slots = (i: number): { w: LeafSlot | undefined; b: LeafSlot | undefined } => ({ w: leaves[own[i]!.w], b: leaves[own[i]!.b] });

  const batchGeometry = (g: WindowGeometry, m: number): WindowGeometry => ({ ...g, n: m });
  // A conv stage's sizes: outputs per image, the unrolled row length, images per chunk (as the eager op), bytes per input image.
  const convDims = (st: Extract<Stage, { kind: 'conv' }>) => {
    const g = st.g;
    return { g, o: st.filters, perImage: g.ho * g.wo * st.filters, k: g.kh * g.kw * g.c, nb: Math.min(n, imagesPerChunk(g)), imageBytes: g.h * g.w * g.c * 4 };
  };
  const eagerOps = new Map<number, Op<Tensor, LayerBackward<Tree>>>();
  const zero = (off: number, count: number): void => void heap.f32().fill(0, off >> 2, (off >> 2) + count);
  const outSize = n * sizeOf(stages.length === 0 ? inShape : stages[stages.length - 1]!.at.outShape);
  const outShape = [n, ...(stages.length === 0 ? inShape : stages[stages.length - 1]!.at.outShape)];

  // The bias (tied: per channel, rows of c; untied: per example) and ReLU after a product, over `count` images from `y`.
  const epilogue = (st: Extract<Stage, { kind: 'conv' }>, b: LeafSlot | undefined, y: number, images: number, perImage: number): void => {
    if (st.bias !== undefined && b !== undefined) {
      const m = st.bias.untied ? perImage : b.size;
      const rows = (images * perImage) / m;
      if (st.relu !== undefined) el.add_rows_relu(y, b.at, y, rows, m);
      else el.add_rows(y, b.at, y, rows, m);
    } else if (st.relu !== undefined) el.relu(y, y, images * perImage);
  };

  const forwardStage = (st: Stage, i: number, eagerParams: readonly Tree[], eagerIndex: number, train: boolean): void => {
    const x = acts[i]!;
    const y = acts[i + 1]!;
    switch (st.kind) {
      case 'conv': {
        const { w, b } = slots(i);
        const { g, o, perImage, k, nb, imageBytes } = convDims(st);
        if (g.c === 1 && o % 4 === 0) {
          const geo = [n, g.h, g.w, g.kh, g.kw, g.stride, g.padTop, g.padLeft, g.ho, g.wo, o] as const;
          if (st.bias !== undefined && b !== undefined) el.conv_c1_bias(x, w!.at, b.at, y, ...geo, st.bias.untied ? 1 : 0, st.relu === undefined ? 0 : 1);
          else {
            el.conv_c1(x, w!.at, y, ...geo);
            epilogue(st, b, y, n, perImage);
          }
          return;
        }
        for (let s = 0; s < n; s += nb) {
          const m = Math.min(nb, n - s);
          const yChunk = y + s * perImage * 4;
          el.unroll(x + s * imageBytes, cols, 1, ...geometryArgs(batchGeometry(g, m)));
          gemmAt(false, false, m * g.ho * g.wo, o, k, cols, w!.at, yChunk, end, false);
          epilogue(st, b, yChunk, m, perImage);
        }
        return;
      }
      case 'dense': {
        const { w, b } = slots(i);
        // As the eager op: the bias first, then the product added to it.
        const f32 = heap.f32();
        const bias = f32.subarray(b!.at >> 2, (b!.at >> 2) + st.units);
        for (let r = 0; r < n; r++) f32.set(bias, (y >> 2) + r * st.units);
        gemmAt(false, false, n, st.units, st.inputs, x, w!.at, y, end, true);
        if (st.relu !== undefined) el.relu(y, y, n * st.units);
        return;
      }
      case 'bias': {
        const { b } = slots(i);
        const per = sizeOf(st.at.inShape);
        const m = st.untied ? per : st.channels;
        el.add_rows(x, b!.at, y, (n * per) / m, m);
        return;
      }
      case 'relu':
        el.relu(x, y, n * sizeOf(st.at.inShape));
        return;
      case 'maxPool':
        el.max_pool(x, y, argmax[i]!, ...geometryArgs(batchGeometry(st.g, n)), st.padValue);
        return;
      case 'flatten':
        return;
      case 'eager': {
        const size = n * sizeOf(st.at.inShape);
        const xT = tensor([n, ...st.at.inShape], heap.f32().slice(x >> 2, (x >> 2) + size));
        const op = st.at.layer.apply(eagerParams[eagerIndex] ?? {}, xT, { kernels: machine.eager });
        if (train) eagerOps.set(i, op);
        heap.f32().set(op.out.data as Float32Array, y >> 2);
        return;
      }
    }
  };

  // dy is in buffer `d`; the input gradient goes to `dx` (unless i is 0 and nobody asked). Returns where it went.
  const backwardStage = (st: Stage, i: number, d: number, dx: number, needDx: boolean, eagerGrads: Tree[], sgd: number | undefined, updated: Set<number>): number => {
    const x = acts[i]!;
    const y = acts[i + 1]!;
    switch (st.kind) {
      case 'conv': {
        const { w, b } = slots(i);
        const { g, o, perImage, k, nb, imageBytes } = convDims(st);
        maskAndBias(st, b, y, d, n, perImage);
        if (needDx) zero(dx, n * g.h * g.w * g.c);
        // One input channel: the filter gradient directly, as the eager op does; dx (when wanted) as below.
        const direct = g.c === 1 && o % 4 === 0;
        if (direct) el.conv_c1_back_w(x, d, w!.gradAt, n, g.h, g.w, g.kh, g.kw, g.stride, g.padTop, g.padLeft, g.ho, g.wo, o);
        if (direct && !needDx) return dx;
        for (let s = 0; s < n; s += nb) {
          const m = Math.min(nb, n - s);
          const geo = geometryArgs(batchGeometry(g, m));
          const dyChunk = d + s * perImage * 4;
          if (!direct) {
            el.unroll(x + s * imageBytes, cols, 1, ...geo);
            gemmAt(true, false, k, o, m * g.ho * g.wo, cols, dyChunk, w!.gradAt, end, s > 0);
          }
          if (needDx) {
            gemmAt(false, true, m * g.ho * g.wo, k, o, dyChunk, w!.at, cols, end, false);
            el.unroll(dx + s * imageBytes, cols, 0, ...geo);
          }
        }
        return dx;
      }
      case 'dense': {
        const { w, b } = slots(i);
        maskAndBias(st, b, y, d, n, st.units);
        if (sgd !== undefined && n === 1 && st.inputs % 4 === 0 && st.units % 4 === 0) {
          denseSgdAt(w!.at, x, d, needDx ? dx : undefined, st.inputs, st.units, sgd);
          updated.add(own[i]!.w);
          return dx;
        }
        if (needDx) gemmAt(false, true, n, st.inputs, st.units, d, w!.at, dx, end, false);
        gemmAt(true, false, st.inputs, st.units, n, x, d, w!.gradAt, end, false);
        return dx;
      }
      case 'bias': {
        const { b } = slots(i);
        const per = sizeOf(st.at.inShape);
        const m = st.untied ? per : st.channels;
        zero(b!.gradAt, m);
        el.sum_rows(d, b!.gradAt, (n * per) / m, m);
        return d;
      }
      case 'relu':
        el.relu_back(y, d, dx, n * sizeOf(st.at.inShape));
        return dx;
      case 'maxPool': {
        const size = n * sizeOf(st.at.inShape);
        zero(dx, size);
        el.max_pool_back(argmax[i]!, d, dx, n * sizeOf(st.at.outShape));
        return dx;
      }
      case 'flatten':
        return d;
      case 'eager': {
        const size = n * sizeOf(st.at.outShape);
        const dy = tensor([n, ...st.at.outShape], heap.f32().slice(d >> 2, (d >> 2) + size));
        const g = eagerOps.get(i)!.backward(dy);
        eagerGrads.push(g.params);
        heap.f32().set(g.x.data as Float32Array, dx >> 2);
        return dx;
      }
    }
  };

  // The ReLU's mask on dy (in place) and the bias gradient, as the eager relu and bias layers give them.
  const maskAndBias = (st: Extract<Stage, { kind: 'conv' | 'dense' }>, b: LeafSlot | undefined, y: number, d: number, images: number, perImage: number): void => {
    const count = images * perImage;
    if (b !== undefined) {
      const m = st.kind === 'conv' && st.bias?.untied === true ? perImage : b.size;
      zero(b.gradAt, m);
      if (st.relu !== undefined) el.relu_back_sum(y, d, d, b.gradAt, count / m, m);
      else el.sum_rows(d, b.gradAt, count / m, m);
    } else if (st.relu !== undefined) el.relu_back(y, d, d, count);
  };

  return {
    n,
    leaves,
    forward: (leafData, eagerParams, x, train, times) => {
      const f32 = heap.f32();
      // 'in heap': the parameters are the ones this program's last update left there.
      if (leafData !== 'in heap') leaves.forEach((l, i) => f32.set(leafData[i] as Float32Array, l.at >> 2));
      f32.set(x, acts[0]! >> 2);
      eagerOps.clear();
      let e = 0;
      stages.forEach((st, i) => {
        const t0 = times === undefined ? 0 : performance.now();
        forwardStage(st, i, eagerParams, e, train);
        if (times !== undefined) times[i] = performance.now() - t0;
        if (st.kind === 'eager') e++;
      });
      return tensor(outShape, heap.f32().slice(acts[stages.length]! >> 2, (acts[stages.length]! >> 2) + outSize));
    },
    backward: (dOut, { times, keep = false, sgd } = {}) => {
      let d = dBufs[0];
      heap.f32().set(dOut as Float32Array, d >> 2);
      const eagerGrads: Tree[] = [];
      const updated = new Set<number>();
      for (let i = stages.length - 1; i >= 0; i--) {
        const other = d === dBufs[0] ? dBufs[1] : dBufs[0];
        const t0 = times === undefined ? 0 : performance.now();
        d = backwardStage(stages[i]!, i, d, other, i > 0, eagerGrads, sgd, updated);
        if (times !== undefined) times[i] = performance.now() - t0;
      }
      eagerGrads.reverse();
      const f32 = heap.f32();
      return { leaves: keep ? [] : leaves.map((l) => f32.slice(l.gradAt >> 2, (l.gradAt >> 2) + l.size)), eager: eagerGrads, updated };
    },
    update: (hyper, lr, t, state, updated) =>
      leaves.map((l, i) => {
        const [s1, s2] = l.stateAt;
        // { inHeap: k }: the k state arrays are the ones this program's last update left in the heap.
        const given = 'inHeap' in state ? undefined : state[i] ?? [];
        given?.forEach((data, k) => heap.f32().set(data as Float32Array, (k === 0 ? s1 : s2) >> 2));
        if (updated?.has(i) !== true) optimizerAt(el, hyper, lr, t, { p: l.at, g: l.gradAt, s1, s2, n: l.size });
        const out = heap.f32();
        const take = (off: number): Float32Array => out.slice(off >> 2, (off >> 2) + l.size);
        const count = given?.length ?? (state as { readonly inHeap: number }).inHeap;
        return { p: take(l.at), state: Array.from({ length: count }, (_, k) => take(k === 0 ? s1 : s2)) };
      }),
  };
};
