// The rules of the stages that are one elementwise kernel each: a lone bias
// (tied or untied), a lone ReLU, and flatten (which shares its input's place
// in the heap, so runs nothing and passes dy on).

import { sizeOf } from '../../core/tensor.ts';
import type { Stage } from '../plan.ts';
import { slotsOf, type Rule } from './context.ts';

export const biasRule: Rule<Extract<Stage, { kind: 'bias' }>> = {
  forward: (st, i, c, e) => {
    const per = sizeOf(st.at.inShape);
    const m = st.untied ? per : st.channels;
    e.k.el.add_rows(c.layout.acts[i]!, slotsOf(c, i).b!.at, c.layout.acts[i + 1]!, (c.layout.n * per) / m, m);
  },
  backward: (st, i, c, e, p) => {
    const per = sizeOf(st.at.inShape);
    const m = st.untied ? per : st.channels;
    const { b } = slotsOf(c, i);
    e.k.zero(b!.gradAt, m);
    e.k.el.sum_rows(p.d, b!.gradAt, (c.layout.n * per) / m, m);
    return p.d;
  },
};

export const reluRule: Rule<Extract<Stage, { kind: 'relu' }>> = {
  forward: (st, i, { layout: { n, acts } }, e) => e.k.el.relu(acts[i]!, acts[i + 1]!, n * sizeOf(st.at.inShape)),
  backward: (st, i, { layout: { n, acts } }, e, p) => {
    e.k.el.relu_back(acts[i + 1]!, p.d, p.dx, n * sizeOf(st.at.inShape));
    return p.dx;
  },
};

export const flattenRule: Rule<Extract<Stage, { kind: 'flatten' }>> = {
  forward: () => {},
  backward: (_st, _i, _c, _e, p) => p.d,
};
