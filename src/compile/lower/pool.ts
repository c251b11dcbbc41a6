// The max-pool stage's rule, on pooling's own kernel calls
// (ops/kernels/wasm/pool-calls.ts): images half to each thread, split the
// same way in both passes (an argmax indexes its own call's input).

import { maxPoolBackImages, maxPoolImages } from '../../ops/kernels/wasm/pool-calls.ts';
import type { Emit } from '../calls.ts';
import type { Stage } from '../plan.ts';
import { halfOf, splitAt, type Rule } from './context.ts';

type MaxPool = Extract<Stage, { kind: 'maxPool' }>;

const byImages = (e: Emit, n: number, f: (t: Emit, from: number, to: number) => void): void => {
  if (e.helped && n >= 2) splitAt(e, halfOf(n), n, f);
  else f(e, 0, n);
};

export const maxPoolRule: Rule<MaxPool> = {
  forward: (st, i, { layout: { n, acts, argmax } }, e) =>
    byImages(e, n, (t, from, to) => maxPoolImages(t.k, st.g, acts[i]!, acts[i + 1]!, argmax[i]!, st.padValue, from, to)),
  backward: (st, i, { layout: { n, argmax } }, e, p) => {
    const [inSize, outSize] = [st.g.h * st.g.w * st.g.c, st.g.ho * st.g.wo * st.g.c];
    byImages(e, n, (t, from, to) => maxPoolBackImages(t.k, inSize, outSize, argmax[i]!, p.d, p.dx, from, to));
    return p.dx;
  },
};
