// A compiled network's calls without an optimizer: valueAndGrad (the
// gradients as a record, or handed over leaf by leaf), predict in passes of
// at most 256 images, and a per-stage profile. Each runs the forward pass,
// the loss (on the eager kernels: a few numbers) and the backward pass on
// the program of its batch size, and leaves the heap's record up to date.

import { ArgumentError } from '../core/check.ts';
import { concatRows, type Tensor } from '../core/tensor.ts';
import { leaves, type Tree } from '../graph/tree.ts';
import type { Batch, LossAndGrad } from '../graph/value-and-grad.ts';
import type { Program, StepSettings } from './program.ts';
import { allFloat32, eagerRecords, gradTree, layerName } from './records.ts';
import { keep, paramsIn, programFor, type Session } from './session.ts';

/** Images per forward pass in predict: bounds the heap for a large batch. */
const PREDICT_CHUNK = 256;

/** One stage of a compiled network and its time in one call of profile. */
export interface StageTime {
  /** The layers the stage runs, joined by `+` (`conv1+add1+relu1`). */
  readonly stage: string;
  /** What runs them: conv, dense, bias, relu, maxPool, flatten, or eager (a layer of your own). */
  readonly kind: string;
  readonly forwardMs: number;
  readonly backwardMs: number;
}

type Times = { readonly forward: number[]; readonly backward: number[] };

/** The forward pass, the loss and the backward pass on the heap; `keep` leaves the gradients there; given the `step` that follows, backward may update some leaves already. */
export const lossAndBackward = (s: Session, program: Program, params: Parameters<Program['forward']>[0], records: readonly Tree[], batch: Batch<unknown>, keepGrads: boolean, times?: Times, step?: StepSettings) => {
  const out = program.forward(params, records, batch.x.data as Float32Array, true, times?.forward);
  const l = s.loss(out, batch.labels, { kernels: s.machine.eager });
  const dOut = l.backward(1).out;
  const g = program.backward(dOut.data instanceof Float32Array ? dOut.data : Float32Array.from(dOut.data), {
    keep: keepGrads, ...(times === undefined ? {} : { times: times.backward }), ...(step === undefined ? {} : { step }),
  });
  return { out, l, g };
};

/** Whether a call takes the eager path: float64 somewhere, or no examples. */
const eagerOnly = (params: Tree, x: Tensor): boolean => !allFloat32(params, x) || x.shape[0] === 0;

export const valueAndGrad = (s: Session, params: Tree, batch: Batch<unknown>, times?: Times): LossAndGrad<Tree> => {
  s.lastStep = null;
  if (eagerOnly(params, batch.x)) return s.eagerValueAndGrad(params, batch);
  const { program, stages } = programFor(s, batch.x.shape);
  const given = paramsIn(s, program, params);
  const { out, l, g } = lossAndBackward(s, program, given.copy, eagerRecords(stages, params), batch, false, times);
  keep(s, program, given.arrays);
  const own = new Map<string, Record<string, Tree>>();
  program.leaves.forEach((leaf, i) => {
    const k = layerName(leaf.path);
    own.set(k, { ...own.get(k), [leaf.path[leaf.path.length - 1]!]: { shape: leaf.shape, data: g.leaves[i]! } });
  });
  const eager = new Map(stages.filter((st) => st.kind === 'eager').map((st, i) => [st.at.path.join('.'), g.eager[i]!] as const));
  return { loss: l.out, grads: gradTree(s.net, own, eager), out };
};

export const valueAndGradTo = (s: Session, params: Tree, batch: Batch<unknown>, put: (path: string, grad: Readonly<Tensor['data']>) => void): { loss: number; out: Tensor } => {
  s.lastStep = null;
  if (eagerOnly(params, batch.x)) {
    const r = s.eagerValueAndGrad(params, batch);
    for (const [path, g] of leaves(r.grads)) put(path, g.data);
    return { loss: r.loss, out: r.out };
  }
  const { program, stages } = programFor(s, batch.x.shape);
  const given = paramsIn(s, program, params);
  const { out, l, g } = lossAndBackward(s, program, given.copy, eagerRecords(stages, params), batch, true);
  keep(s, program, given.arrays);
  const f32 = program.heap.f32();
  for (const leaf of program.leaves) put(leaf.path.join('.'), f32.subarray(leaf.gradAt >> 2, (leaf.gradAt >> 2) + leaf.size));
  stages.filter((st) => st.kind === 'eager').forEach((st, i) => {
    for (const [path, t] of leaves(g.eager[i]!)) put([...st.at.path, ...(path === '' ? [] : [path])].join('.'), t.data);
  });
  return { loss: l.out, out };
};

export const predict = (s: Session, params: Tree, x: Tensor): Tensor => {
  s.lastStep = null;
  const n = x.shape[0] ?? 0;
  if (eagerOnly(params, x)) return s.net.apply(params, x, { kernels: s.machine.eager }).out;
  const per = x.data.length / n;
  const parts: Tensor[] = [];
  for (let from = 0; from < n; from += PREDICT_CHUNK) {
    const m = Math.min(PREDICT_CHUNK, n - from);
    const { program, stages } = programFor(s, [m, ...x.shape.slice(1)]);
    const given = paramsIn(s, program, params);
    parts.push(program.forward(given.copy, eagerRecords(stages, params), (x.data as Float32Array).subarray(from * per, (from + m) * per), false));
    keep(s, program, given.arrays);
  }
  return parts.length === 1 ? parts[0]! : concatRows(parts);
};

export const profile = (s: Session, params: Tree, batch: Batch<unknown>): StageTime[] => {
  if (eagerOnly(params, batch.x)) throw new ArgumentError('compile: profile needs float32 parameters and a batch of at least one example');
  const times = { forward: [] as number[], backward: [] as number[] };
  valueAndGrad(s, params, batch, times);
  return programFor(s, batch.x.shape).stages.map((st, i) => ({
    stage: [st.at, ...(st.kind === 'conv' ? [st.bias?.at, st.relu] : st.kind === 'dense' ? [st.relu] : [])].filter((p) => p !== undefined).map((p) => p.path.join('.')).join('+'),
    kind: st.kind,
    forwardMs: times.forward[i]!,
    backwardMs: times.backward[i]!,
  }));
};
