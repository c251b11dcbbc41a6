// The first calls of a conv's or dense layer's backward pass: the fused
// ReLU's mask on dy (in place) and the bias gradient, as the eager relu and
// bias layers give them. With a helper, an untied bias's columns (a few rows
// of many) go half to each thread, row by row in order, so every bias
// gradient sums its rows as one call would.

import type { Emit } from '../calls.ts';
import type { LeafSlot } from '../layout.ts';
import type { Stage } from '../plan.ts';
import { halfOf, SPLIT_ROWS, SPLIT_WORK, splitAt } from './context.ts';

export const maskAndBias = (e: Emit, st: Extract<Stage, { kind: 'conv' | 'dense' }>, b: LeafSlot | undefined, y: number, d: number, count: number, perImage: number): void => {
  const relu = st.relu !== undefined;
  if (b !== undefined) {
    const m = st.kind === 'conv' && st.bias?.untied === true ? perImage : b.size;
    const rows = count / m;
    const columns = (t: Emit, j0: number, j1: number): void => {
      t.k.zero(b.gradAt + j0 * 4, j1 - j0);
      for (let r = 0; r < rows; r++) {
        const at = (r * m + j0) * 4;
        if (relu) t.k.el.relu_back_sum(y + at, d + at, d + at, b.gradAt + j0 * 4, 1, j1 - j0);
        else t.k.el.sum_rows(d + at, b.gradAt + j0 * 4, 1, j1 - j0);
      }
    };
    if (e.helped && rows <= SPLIT_ROWS && count >= SPLIT_WORK && m >= 8) {
      splitAt(e, halfOf(m, 4), m, columns);
      return;
    }
    e.k.zero(b.gradAt, m);
    if (relu) e.k.el.relu_back_sum(y, d, d, b.gradAt, rows, m);
    else e.k.el.sum_rows(d, b.gradAt, rows, m);
  } else if (relu) {
    const part = (t: Emit, from: number, to: number): void => t.k.el.relu_back(y + from * 4, d + from * 4, d + from * 4, to - from);
    if (e.helped && count >= SPLIT_WORK) splitAt(e, halfOf(count, 4), count, part);
    else part(e, 0, count);
  }
};
