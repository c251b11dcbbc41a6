// The rule of a layer the planner does not know (a user's own): host code in
// the call list that copies its input out of the heap, runs the layer's own
// `apply` on the compiled network's eager kernel set, and copies its output
// back; its backward closure is kept for the backward pass.

import { sizeOf, tensor, type Tensor } from '../../core/tensor.ts';
import type { LayerBackward } from '../../graph/layer.ts';
import type { Tree } from '../../graph/tree.ts';
import type { Op } from '../../ops/op.ts';
import type { Stage } from '../plan.ts';
import type { Rule } from './context.ts';

type Eager = Extract<Stage, { kind: 'eager' }>;
type EagerOp = Op<Tensor, LayerBackward<Tree>>;

export const eagerRule: Rule<Eager> = {
  forward: (st, i, { layout: { n, acts }, stages, heap, eager }, e) => {
    // This layer's record is the how-many-th of the eager stages' records.
    const index = stages.slice(0, i).filter((s) => s.kind === 'eager').length;
    e.host((h) => {
      const x = acts[i]! >> 2;
      const xT = tensor([n, ...st.at.inShape], heap.f32().slice(x, x + n * sizeOf(st.at.inShape)));
      const op = st.at.layer.apply((h.eagerParams[index] ?? {}) as Tree, xT, { kernels: eager }) as EagerOp;
      if (h.train) h.ops.set(i, op);
      heap.f32().set(op.out.data as Float32Array, acts[i + 1]! >> 2);
    });
  },
  backward: (st, i, { layout: { n }, heap }, e, p) => {
    e.host((h) => {
      const dy = tensor([n, ...st.at.outShape], heap.f32().slice(p.d >> 2, (p.d >> 2) + n * sizeOf(st.at.outShape)));
      const g = (h.ops.get(i) as EagerOp).backward(dy);
      h.grads.push(g.params);
      heap.f32().set(g.x.data as Float32Array, p.dx >> 2);
    });
    return p.dx;
  },
};
