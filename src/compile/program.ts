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
import { geometryArgs, type ElementwiseExports } from '../ops/kernels/wasm/elementwise-wasm.ts';
import type { DenseSgdAt, GemmAt } from '../ops/kernels/wasm/gemm-wasm.ts';
import type { Heap } from '../ops/kernels/wasm/heap.ts';
import { imagesPerChunk } from '../ops/kernels/wasm/conv-wasm.ts';
import type { Op } from '../ops/op.ts';
import type { LayerBackward } from '../graph/layer.ts';
import type { HeapUpdate } from '../graph/optimizers/index.ts';
import type { KernelCalls, KernelHelper } from './helper.ts';
import type { Stage } from './plan.ts';

/** The WASM a program runs on: one heap, the GEMM and the elementwise exports instantiated on it, and a kernel set for eager stages. */
export interface Machine {
  readonly heap: Heap;
  readonly gemmAt: GemmAt;
  readonly denseSgdAt: DenseSgdAt;
  readonly el: ElementwiseExports;
  readonly eager: Kernels;
  /** Bytes of scratch a GEMM of these sizes needs. */
  readonly workspace: (m: number, n: number, k: number) => number;
  /** A second thread on the same (shared) heap: the program splits its work with it. */
  readonly helper?: KernelHelper;
}

/** The kernels one thread calls, with its own unrolling scratch and GEMM workspace (at `end`). */
type Kit = KernelCalls & { readonly cols: number; readonly end: number };

/** Leaves at least this long are updated half by each thread. */
const SPLIT_UPDATE = 1 << 15;
/** An untied bias's gradient is split by columns, one call per row, up to this many rows. */
const SPLIT_ROWS = 256;
/** Products of at least this many multiply-adds are worth a hand-over to the helper (one costs a few microseconds). */
const SPLIT_WORK = 1 << 16;
/** The share of the largest leaf's update the helper takes beside the first layer's filter gradient. */
const EARLY_SHARE = 0.7;

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

/** One optimizer step, as {@link Program.update} takes it: its heap update (HeapOptimizer.update), its rate when it is plain SGD (HeapOptimizer.sgdRate), and the state arrays given (leaf by leaf), or left in the heap by the last update. */
export interface StepSettings {
  readonly update: HeapUpdate;
  readonly sgdRate: number | undefined;
  readonly state: ReadonlyArray<readonly Readonly<Data>[]> | { readonly inHeap: number };
}

/** How {@link Program.backward} runs: stage times into `times`, gradients kept in the heap, the step that follows. */
export interface BackwardOptions {
  readonly times?: number[];
  readonly keep?: boolean;
  /** The optimizer step that follows: backward may update some leaves already (see `updated`). */
  readonly step?: StepSettings;
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
   * `update`) and of every eager stage's record. Given the `step` that
   * follows, some leaves are updated already: at batch 1 an SGD step updates
   * a dense layer whose sizes allow it in the same pass over its weights, and
   * with a helper the largest leaf is updated beside the first layer's
   * filter gradient (the helper would wait there). `updated` names them;
   * `update` must then be given the same step and skip them.
   */
  readonly backward: (dOut: Readonly<Data>, options?: BackwardOptions) => { readonly leaves: Float32Array[]; readonly eager: Tree[]; readonly updated: ReadonlySet<number> };
  /**
   * The optimizer's update of every leaf on the gradients `backward` kept in
   * the heap: `state[i]` are leaf i's state arrays (none for SGD; momentum's
   * velocity; Adam's m and v). Gives the new parameter and state arrays,
   * fresh, computed as the kernel set's sgd, momentum and adam compute them.
   */
  readonly update: (step: StepSettings, updated?: ReadonlySet<number>) => Array<{ readonly p: Float32Array; readonly state: Float32Array[] }>;
}

/** Lays out `stages` at batch n and returns the program that runs them. */
export const createProgram = (machine: Machine, stages: readonly Stage[], inShape: readonly number[], n: number): Program => {
  const { heap, helper } = machine;
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
  // With a helper: its own unrolling scratch, and room for its GEMM workspace (the largest any product here needs).
  const gemmShapes = stages.flatMap((st): Array<readonly [number, number, number]> => {
    if (st.kind === 'dense') return [[n, st.units, st.inputs], [n, st.inputs, st.units], [st.inputs, st.units, n]];
    if (st.kind !== 'conv') return [];
    const rows = Math.min(n, imagesPerChunk(st.g)) * st.g.ho * st.g.wo;
    const k = st.g.kh * st.g.kw * st.g.c;
    return [[rows, st.filters, k], [k, st.filters, rows], [rows, k, st.filters]];
  });
  const helperBlocks = helper === undefined ? [] : [want(colsSize), want(Math.max(0, ...gemmShapes.map(([a, b, c]) => machine.workspace(a, b, c))) / 4 + 16)];
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
  const theirScratch = helper === undefined ? { cols, end } : { cols: offs[helperBlocks[0]!]!, end: offs[helperBlocks[1]!]! };
  const mine: Kit = { el: machine.el, gemmAt: machine.gemmAt, denseSgdAt: machine.denseSgdAt, zero: (off, count) => void heap.f32().fill(0, off >> 2, (off >> 2) + count), cols, end };
  const el = mine.el;
  // Runs `a` on the helper (when there is one) while `b` runs here; without one (or while it lags), both here.
  const split = (a: (k: Kit) => void, b: (k: Kit) => void): void => {
    if (helper === undefined || helper.solo()) {
      b(mine);
      a(mine);
      return;
    }
    helper.together((calls) => a({ ...calls, ...theirScratch }), () => b(mine));
  };
  // Runs f over [0, at) here and over [at, to) on the helper.
  const splitAt = (at: number, to: number, f: (k: Kit, from: number, to: number) => void): void =>
    split((k) => f(k, at, to), (k) => f(k, 0, at));
  // Half of n, rounded down to a multiple of `align`.
  const halfOf = (n: number, align = 1): number => Math.floor(n / 2 / align) * align;
  // Whether stage i's input gradient is wanted: only when a stage before it has parameters (or is a layer of
  // your own). The first layer's, and that of a dense layer after a first flatten, is never computed.
  const needDx = stages.map((_, i) => stages.slice(0, i).some((st) => st.kind === 'conv' || st.kind === 'dense' || st.kind === 'bias' || st.kind === 'eager'));
  const slots = (i: number): { w: LeafSlot | undefined; b: LeafSlot | undefined } => ({ w: leaves[own[i]!.w], b: leaves[own[i]!.b] });

  const batchGeometry = (g: WindowGeometry, m: number): WindowGeometry => ({ ...g, n: m });
  // A conv stage's sizes: outputs per image, the unrolled row length, images per chunk (as the eager op), bytes per input image.
  const convDims = (st: Extract<Stage, { kind: 'conv' }>) => {
    const g = st.g;
    return { g, o: st.filters, perImage: g.ho * g.wo * st.filters, k: g.kh * g.kw * g.c, nb: Math.min(n, imagesPerChunk(g)), imageBytes: g.h * g.w * g.c * 4 };
  };
  const eagerOps = new Map<number, Op<Tensor, LayerBackward<Tree>>>();
  const zero = mine.zero;
  const outSize = n * sizeOf(stages.length === 0 ? inShape : stages[stages.length - 1]!.at.outShape);
  const outShape = [n, ...(stages.length === 0 ? inShape : stages[stages.length - 1]!.at.outShape)];

  // The bias (tied: per channel; untied: one per output value of an image) and ReLU after a product, on the
  // values [from, to) of the outputs at `y` (from a multiple of the channels; an untied range is whole images or
  // lies in one image).
  const epilogue = (k: Kit, st: Extract<Stage, { kind: 'conv' }>, b: LeafSlot | undefined, y: number, from: number, to: number, perImage: number): void => {
    const at = y + from * 4;
    if (st.bias !== undefined && b !== undefined) {
      const whole = !st.bias.untied || (from % perImage === 0 && (to - from) % perImage === 0);
      const m = !st.bias.untied ? b.size : whole ? perImage : to - from;
      const bAt = b.at + (st.bias.untied ? (from % perImage) * 4 : 0);
      if (st.relu !== undefined) k.el.add_rows_relu(at, bAt, at, (to - from) / m, m);
      else k.el.add_rows(at, bAt, at, (to - from) / m, m);
    } else if (st.relu !== undefined) k.el.relu(at, at, to - from);
  };
  // Whether a product's rows can be cut at `half` of `rows` without changing a bit: each side takes the GEMM's
  // 4-row kernels (fewer than 4 rows take another loop, which rounds otherwise).
  const halves = (half: number, rows: number): boolean => half >= 4 && rows - half >= 4;
  // One chunk of a conv's forward pass (images s to s + m): unrolled into the kit's scratch, rows r0 to r1 of the product, then the epilogue.
  const convChunk = (k: Kit, st: Extract<Stage, { kind: 'conv' }>, i: number, s: number, m: number, r0: number, r1: number): void => {
    const { w, b } = slots(i);
    const { g, o, perImage, k: kk, imageBytes } = convDims(st);
    const yChunk = acts[i + 1]! + s * perImage * 4;
    k.el.unroll(acts[i]! + s * imageBytes, k.cols, 1, ...geometryArgs(batchGeometry(g, m)));
    k.gemmAt(false, false, r1 - r0, o, kk, k.cols + r0 * kk * 4, w!.at, yChunk + r0 * o * 4, k.end, false);
    epilogue(k, st, b, yChunk, r0 * o, r1 * o, perImage);
  };

  const forwardStage = (st: Stage, i: number, eagerParams: readonly Tree[], eagerIndex: number, train: boolean): void => {
    const x = acts[i]!;
    const y = acts[i + 1]!;
    switch (st.kind) {
      case 'conv': {
        const { w, b } = slots(i);
        const { g, o, perImage, nb, imageBytes } = convDims(st);
        if (g.c === 1 && o % 4 === 0) {
          // Images [from, to) at a time: with a helper, half each.
          const images = (kit: Kit, from: number, to: number): void => {
            if (to <= from) return;
            const geo = [to - from, g.h, g.w, g.kh, g.kw, g.stride, g.padTop, g.padLeft, g.ho, g.wo, o] as const;
            const xi = x + from * imageBytes;
            const yi = y + from * perImage * 4;
            if (st.bias !== undefined && b !== undefined) kit.el.conv_c1_bias(xi, w!.at, b.at, yi, ...geo, st.bias.untied ? 1 : 0, st.relu === undefined ? 0 : 1);
            else {
              kit.el.conv_c1(xi, w!.at, yi, ...geo);
              epilogue(kit, st, b, yi, 0, (to - from) * perImage, perImage);
            }
          };
          if (helper !== undefined && n >= 2) splitAt(halfOf(n), n, images);
          else images(mine, 0, n);
          return;
        }
        const rows = (m: number): number => m * g.ho * g.wo;
        // Images [from, to) in chunks. A row of the product does not depend on the chunk it is in (a chunk of
        // fewer than 4 rows would: it takes another loop), so each thread can chunk its own images.
        const images = (kit: Kit, from: number, to: number): void => {
          for (let s = from; s < to; s += nb) convChunk(kit, st, i, s, Math.min(nb, to - s), 0, rows(Math.min(nb, to - s)));
        };
        if (helper !== undefined && n >= 2 && rows(1) >= 4) splitAt(halfOf(n), n, images);
        else if (helper !== undefined && n === 1 && halves(halfOf(rows(1)), rows(1))) {
          // One image: both unroll it, each computes half its rows.
          splitAt(halfOf(rows(1)), rows(1), (kit, r0, r1) => convChunk(kit, st, i, 0, 1, r0, r1));
        } else images(mine, 0, n);
        return;
      }
      case 'dense': {
        const { w, b } = slots(i);
        // As the eager op: the bias first, then the product added to it.
        const f32 = heap.f32();
        const bias = f32.subarray(b!.at >> 2, (b!.at >> 2) + st.units);
        for (let r = 0; r < n; r++) f32.set(bias, (y >> 2) + r * st.units);
        const rowsOf = (kit: Kit, r0: number, r1: number): void => {
          const at = y + r0 * st.units * 4;
          kit.gemmAt(false, false, r1 - r0, st.units, st.inputs, x + r0 * st.inputs * 4, w!.at, at, kit.end, true);
          if (st.relu !== undefined) kit.el.relu(at, at, (r1 - r0) * st.units);
        };
        if (helper !== undefined && halves(halfOf(n), n) && n * st.inputs * st.units >= SPLIT_WORK) splitAt(halfOf(n), n, rowsOf);
        else rowsOf(mine, 0, n);
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
      case 'maxPool': {
        // Images [from, to); an argmax is relative to its call's input, so backward splits the same way.
        const pool = (kit: Kit, from: number, to: number): void => {
          const [inSize, outSize] = [sizeOf(st.at.inShape), sizeOf(st.at.outShape)];
          if (to > from) kit.el.max_pool(x + from * inSize * 4, y + from * outSize * 4, argmax[i]! + from * outSize * 4, ...geometryArgs(batchGeometry(st.g, to - from)), st.padValue);
        };
        if (helper !== undefined && n >= 2) splitAt(halfOf(n), n, pool);
        else pool(mine, 0, n);
        return;
      }
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

  // dy is in buffer `d`; the input gradient goes to `dx` when `needDx` (a stage before has parameters). Returns where it went.
  const backwardStage = (st: Stage, i: number, d: number, dx: number, needDx: boolean, eagerGrads: Tree[], step: StepSettings | undefined, updated: Set<number>): number => {
    const sgd = step?.sgdRate;
    const x = acts[i]!;
    const y = acts[i + 1]!;
    switch (st.kind) {
      case 'conv': {
        const { w, b } = slots(i);
        const { g, o, perImage, k, nb, imageBytes } = convDims(st);
        maskAndBias(st, b, y, d, n, perImage);
        // The filter gradient (directly for one input channel, as the eager op does; else chunk by chunk, summed
        // in order) and the input gradient (when wanted) read dy alone: with a helper, one thread each.
        const filterGradient = (kit: Kit): void => {
          if (g.c === 1 && o % 4 === 0) {
            kit.el.conv_c1_back_w(x, d, w!.gradAt, n, g.h, g.w, g.kh, g.kw, g.stride, g.padTop, g.padLeft, g.ho, g.wo, o);
            return;
          }
          for (let s = 0; s < n; s += nb) {
            const m = Math.min(nb, n - s);
            kit.el.unroll(x + s * imageBytes, kit.cols, 1, ...geometryArgs(batchGeometry(g, m)));
            kit.gemmAt(true, false, k, o, m * g.ho * g.wo, kit.cols, d + s * perImage * 4, w!.gradAt, kit.end, s > 0);
          }
        };
        const inputGradient = (kit: Kit): void => {
          kit.zero(dx, n * g.h * g.w * g.c);
          for (let s = 0; s < n; s += nb) {
            const m = Math.min(nb, n - s);
            kit.gemmAt(false, true, m * g.ho * g.wo, k, o, d + s * perImage * 4, w!.at, kit.cols, kit.end, false);
            kit.el.unroll(dx + s * imageBytes, kit.cols, 0, ...geometryArgs(batchGeometry(g, m)));
          }
        };
        if (needDx) split(inputGradient, filterGradient);
        else {
          // The first layer: beside its filter gradient the helper would wait, so it updates most of the
          // largest leaf not yet updated (every other gradient is final), the rest of it after the gradient here.
          const big = helper === undefined || step === undefined ? -1 : largestPending(own[i]!.w, updated);
          if (big < 0) filterGradient(mine);
          else {
            const size = leaves[big]!.size;
            const r = Math.floor((size * EARLY_SHARE) / 16) * 16; // the helper's share: [0, r)
            stateIn(big, step!.state);
            split((kit) => updateRange(kit, big, step!, 0, r), (kit) => {
              filterGradient(kit);
              updateRange(kit, big, step!, r, size);
            });
            updated.add(big);
          }
        }
        return dx;
      }
      case 'dense': {
        const { w, b } = slots(i);
        maskAndBias(st, b, y, d, n, st.units);
        if (sgd !== undefined && n === 1 && st.inputs % 4 === 0 && st.units % 4 === 0) {
          // Rows [r0, r1) of the weights; with a helper, half each (rows are independent).
          const rowsOf = (kit: Kit, r0: number, r1: number): void =>
            kit.denseSgdAt(w!.at + r0 * st.units * 4, x + r0 * 4, d, needDx ? dx + r0 * 4 : undefined, r1 - r0, st.units, sgd);
          const half = halfOf(st.inputs, 4);
          if (helper !== undefined && half > 0 && st.inputs * st.units >= SPLIT_WORK) splitAt(half, st.inputs, rowsOf);
          else rowsOf(mine, 0, st.inputs);
          updated.add(own[i]!.w);
          return dx;
        }
        const filterGradient = (kit: Kit): void => kit.gemmAt(true, false, st.inputs, st.units, n, x, d, w!.gradAt, kit.end, false);
        const inputGradient = (kit: Kit): void => kit.gemmAt(false, true, n, st.inputs, st.units, d, w!.at, dx, kit.end, false);
        if (needDx && helper !== undefined && n * st.inputs * st.units >= SPLIT_WORK) split(inputGradient, filterGradient);
        else {
          if (needDx) inputGradient(mine);
          filterGradient(mine);
        }
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
        // Images [from, to), as forward split them.
        const pool = (kit: Kit, from: number, to: number): void => {
          const [inSize, outSize] = [sizeOf(st.at.inShape), sizeOf(st.at.outShape)];
          if (to <= from) return;
          kit.zero(dx + from * inSize * 4, (to - from) * inSize);
          kit.el.max_pool_back(argmax[i]! + from * outSize * 4, d + from * outSize * 4, dx + from * inSize * 4, (to - from) * outSize);
        };
        if (helper !== undefined && n >= 2) splitAt(halfOf(n), n, pool);
        else pool(mine, 0, n);
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
  // With a helper, an untied bias's columns (a few rows of many) go half to each thread, row by row in order, so
  // every bias gradient sums its rows as one call would.
  const maskAndBias = (st: Extract<Stage, { kind: 'conv' | 'dense' }>, b: LeafSlot | undefined, y: number, d: number, images: number, perImage: number): void => {
    const count = images * perImage;
    if (b !== undefined) {
      const m = st.kind === 'conv' && st.bias?.untied === true ? perImage : b.size;
      const rows = count / m;
      const columns = (kit: Kit, j0: number, j1: number): void => {
        kit.zero(b.gradAt + j0 * 4, j1 - j0);
        for (let r = 0; r < rows; r++) {
          const at = (r * m + j0) * 4;
          if (st.relu !== undefined) kit.el.relu_back_sum(y + at, d + at, d + at, b.gradAt + j0 * 4, 1, j1 - j0);
          else kit.el.sum_rows(d + at, b.gradAt + j0 * 4, 1, j1 - j0);
        }
      };
      if (helper !== undefined && rows <= SPLIT_ROWS && count >= SPLIT_WORK && m >= 8) {
        splitAt(halfOf(m, 4), m, columns);
        return;
      }
      zero(b.gradAt, m);
      if (st.relu !== undefined) el.relu_back_sum(y, d, d, b.gradAt, rows, m);
      else el.sum_rows(d, b.gradAt, rows, m);
    } else if (st.relu !== undefined) {
      const part = (kit: Kit, from: number, to: number): void => kit.el.relu_back(y + from * 4, d + from * 4, d + from * 4, to - from);
      if (helper !== undefined && count >= SPLIT_WORK) splitAt(halfOf(count, 4), count, part);
      else part(mine, 0, count);
    }
  };

  // Leaf i's given optimizer state into its slots in the heap (nothing when the last update left it there).
  const stateIn = (i: number, state: StepSettings['state']): void => {
    if ('inHeap' in state) return;
    const [s1, s2] = leaves[i]!.stateAt;
    (state[i] ?? []).forEach((data, k) => heap.f32().set(data as Float32Array, (k === 0 ? s1 : s2) >> 2));
  };
  // The optimizer's update of values [from, to) of leaf i (the update is elementwise).
  const updateRange = (kit: Kit, i: number, step: StepSettings, from: number, to: number): void => {
    const l = leaves[i]!;
    step.update(kit.el, { p: l.at + from * 4, g: l.gradAt + from * 4, s: l.stateAt.map((s) => s + from * 4), n: to - from });
  };
  // The largest leaf at least SPLIT_UPDATE long, other than `except`, not yet updated; -1 when none is.
  const largestPending = (except: number, updated: ReadonlySet<number>): number => {
    let best = -1;
    leaves.forEach((l, i) => {
      if (i !== except && !updated.has(i) && l.size >= SPLIT_UPDATE && (best < 0 || l.size > leaves[best]!.size)) best = i;
    });
    return best;
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
    backward: (dOut, { times, keep = false, step } = {}) => {
      let d = dBufs[0];
      heap.f32().set(dOut as Float32Array, d >> 2);
      const eagerGrads: Tree[] = [];
      const updated = new Set<number>();
      for (let i = stages.length - 1; i >= 0; i--) {
        const other = d === dBufs[0] ? dBufs[1] : dBufs[0];
        const t0 = times === undefined ? 0 : performance.now();
        d = backwardStage(stages[i]!, i, d, other, needDx[i]!, eagerGrads, step, updated);
        if (times !== undefined) times[i] = performance.now() - t0;
      }
      eagerGrads.reverse();
      const f32 = heap.f32();
      return { leaves: keep ? [] : leaves.map((l) => f32.slice(l.gradAt >> 2, (l.gradAt >> 2) + l.size)), eager: eagerGrads, updated };
    },
    update: (step, updated) =>
      leaves.map((l, i) => {
        const [s1, s2] = l.stateAt;
        // A long leaf is split with the helper; one updated in the backward pass (its state already in) is not touched.
        if (updated?.has(i) !== true) {
          stateIn(i, step.state);
          if (helper !== undefined && l.size >= SPLIT_UPDATE) splitAt(halfOf(l.size, 16), l.size, (kit, from, to) => updateRange(kit, i, step, from, to));
          else updateRange(mine, i, step, 0, l.size);
        }
        const out = heap.f32();
        const take = (off: number): Float32Array => out.slice(off >> 2, (off >> 2) + l.size);
        // { inHeap: k }: the k state arrays are the ones this program's last update left in the heap.
        const count = 'inHeap' in step.state ? step.state.inHeap : (step.state[i] ?? []).length;
        return { p: take(l.at), state: Array.from({ length: count }, (_, k) => take(k === 0 ? s1 : s2)) };
      }),
  };
};
