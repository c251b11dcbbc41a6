// The conv stage's rule: a convolution with its bias and ReLU fused, on the
// convolution's own kernel calls (ops/kernels/wasm/conv-calls.ts, the ones
// the eager WASM kernel set runs). Forward: images half to each thread (one
// image: its rows). Backward: the mask and bias gradient, then the filter
// gradient and the input gradient, one per thread; the first layer, whose
// input gradient nobody needs, updates most of the largest pending leaf on
// the helper meanwhile (else the helper would wait).

import { convChunk, convFilterGradient, convForward, convInputGradient, isDirect, isWinograd, type Epilogue } from '../../ops/kernels/wasm/conv-calls.ts';
import type { Emit } from '../calls.ts';
import type { LeafSlot } from '../layout.ts';
import type { Stage } from '../plan.ts';
import { halfOf, halves, slotsOf, splitAt, SPLIT_UPDATE, type BackwardPass, type LowerContext, type Rule } from './context.ts';
import { maskAndBias } from './mask-bias.ts';

type Conv = Extract<Stage, { kind: 'conv' }>;

/** The share of the largest leaf's update the helper takes beside the first layer's filter gradient. */
const EARLY_SHARE = 0.7;

// The bias (tied: per channel; untied: one per output value of an image) and ReLU after a product, on the values
// [from, to) at `y` (from a multiple of the channels; an untied range is whole images or lies in one image).
const epilogueOf = (st: Conv, b: LeafSlot | undefined): Epilogue | undefined => {
  const perImage = st.g.ho * st.g.wo * st.filters;
  const relu = st.relu !== undefined;
  if (st.bias === undefined || b === undefined) return relu ? (k, y, from, to) => k.el.relu(y + from * 4, y + from * 4, to - from) : undefined;
  const untied = st.bias.untied;
  return (k, y, from, to) => {
    const at = y + from * 4;
    const whole = !untied || (from % perImage === 0 && (to - from) % perImage === 0);
    const m = !untied ? b.size : whole ? perImage : to - from;
    const bAt = b.at + (untied ? (from % perImage) * 4 : 0);
    if (relu) k.el.add_rows_relu(at, bAt, at, (to - from) / m, m);
    else k.el.add_rows(at, bAt, at, (to - from) / m, m);
  };
};

// The largest leaf at least SPLIT_UPDATE long, other than `except`, not yet updated; -1 when none is.
const largestPending = (leaves: readonly LeafSlot[], except: number, updated: ReadonlySet<number>): number => {
  let best = -1;
  leaves.forEach((l, i) => {
    if (i !== except && !updated.has(i) && l.size >= SPLIT_UPDATE && (best < 0 || l.size > leaves[best]!.size)) best = i;
  });
  return best;
};

const forward = (st: Conv, i: number, c: LowerContext, e: Emit): void => {
  const { w, b } = slotsOf(c, i);
  const { n, acts } = c.layout;
  const [x, y, g, o] = [acts[i]!, acts[i + 1]!, st.g, st.filters];
  const epilogue = epilogueOf(st, b);
  const bias = st.bias !== undefined && b !== undefined ? { b: b.at, untied: st.bias.untied, relu: st.relu !== undefined } : undefined;
  const winograd = isWinograd(g, o, n, c.winograd);
  const images = (t: Emit, from: number, to: number): void => convForward(t.k, t.scratch, g, o, x, w!.at, y, from, to, epilogue, bias, winograd);
  const rows = g.ho * g.wo;
  if (e.helped && n >= 2 && (isDirect(g, o) || winograd || rows >= 4)) splitAt(e, halfOf(n), n, images);
  else if (e.helped && n === 1 && !isDirect(g, o) && !winograd && halves(halfOf(rows), rows)) {
    // One image: both unroll it, each computes half its rows.
    splitAt(e, halfOf(rows), rows, (t, r0, r1) => convChunk(t.k, t.scratch, g, o, x, w!.at, y, 0, 1, r0, r1, epilogue));
  } else images(e, 0, n);
};

const backward = (st: Conv, i: number, c: LowerContext, e: Emit, p: BackwardPass): number => {
  const { w, b } = slotsOf(c, i);
  const { n, acts, leaves, own } = c.layout;
  const [x, g, o] = [acts[i]!, st.g, st.filters];
  maskAndBias(e, st, b, acts[i + 1]!, p.d, n * g.ho * g.wo * o, g.ho * g.wo * o);
  const winograd = isWinograd(g, o, n, c.winograd);
  const filterGradient = (t: Emit): void => convFilterGradient(t.k, t.scratch, g, o, x, p.d, w!.gradAt, n, winograd);
  if (p.needDx) {
    e.split((t) => convInputGradient(t.k, t.scratch, g, o, p.d, w!.at, p.dx, n, winograd), filterGradient);
    return p.dx;
  }
  const big = !e.helped || p.step === 'none' ? -1 : largestPending(leaves, own[i]!.w, p.updated);
  if (big < 0) filterGradient(e);
  else {
    const leaf = leaves[big]!;
    const r = Math.floor((leaf.size * EARLY_SHARE) / 16) * 16; // the helper's share: [0, r)
    e.split((t) => t.update(leaf, 0, r), (t) => {
      filterGradient(t);
      t.update(leaf, r, leaf.size);
    });
    p.updated.add(big);
  }
  return p.dx;
};

export const convRule: Rule<Conv> = { forward, backward };
