// A compiled network's whole training step: the forward and backward passes
// and the optimizer's update of every parameter, with the gradients never
// leaving the heap. A step from the records the last step returned finds
// them still in the heap and copies nothing in; anything the heap cannot do
// (an optimizer of the user's own, a layer of the user's own, float64) takes
// valueAndGrad and the optimizer's own step instead, with the same numbers.

import { ArgumentError } from '../core/check.ts';
import { mapTree, type Tree } from '../graph/tree.ts';
import type { Batch } from '../graph/value-and-grad.ts';
import { heapOptimizer, type Optimizer } from '../graph/optimizers/index.ts';
import type { Tensor } from '../core/tensor.ts';
import type { StepCalls } from './calls.ts';
import type { StepSettings } from './program.ts';
import { allFloat32, leafArrays } from './records.ts';
import { lossAndBackward, valueAndGrad } from './run.ts';
import { keep, paramsIn, programFor, type Session } from './session.ts';

/** What a compiled step gives: the loss and output at the old parameters, and the new parameters and state. */
export interface CompiledStep<P extends Tree, S extends Tree> {
  readonly loss: number;
  readonly out: Tensor;
  readonly params: P;
  readonly state: S;
}

/** How the heap runs an optimizer's step from `state`: its state trees, the update's calls, and the state after it. */
interface HeapStep {
  readonly trees: Tree[];
  readonly calls: StepCalls;
  readonly plainSgd: boolean;
  readonly next: (trees: readonly Tree[]) => Tree;
}

/** Optimizer state arrays per leaf the heap layout has room for (momentum's velocity; Adam's m and v). */
const STATE_SLOTS = 2;

const heapStep = (optimizer: Optimizer<Tree>, state: Tree, lr: number): HeapStep | undefined => {
  // The library's optimizers have a heap form; one of your own, or a copy with its own step, takes its own step.
  const heap = heapOptimizer(optimizer);
  if (heap === undefined || heap.trees.length > STATE_SLOTS) return undefined;
  let trees: Tree[];
  try {
    trees = heap.stateTrees(state);
  } catch (err) {
    throw new ArgumentError(`compile: step: ${(err as Error).message}`);
  }
  const rate = heap.sgdRate?.(lr);
  return {
    trees,
    calls: { lr: rate ?? lr, update: heap.update(state, lr) },
    plainSgd: rate !== undefined,
    next: (next) => heap.next(state, [...next]),
  };
};

export const step = (s: Session, optimizer: Optimizer<Tree>, params: Tree, state: Tree, batch: Batch<unknown>, lr: number): CompiledStep<Tree, Tree> => {
  const eagerStep = (): CompiledStep<Tree, Tree> => {
    const r = valueAndGrad(s, params, batch);
    return { loss: r.loss, out: r.out, ...optimizer.step(params, r.grads, state, { lr, kernels: s.machine.eager }) };
  };
  const how = heapStep(optimizer, state, lr);
  const previous = s.lastStep;
  s.lastStep = null;
  if (how === undefined || !allFloat32(params, batch.x) || batch.x.shape[0] === 0) return eagerStep();
  const { program, stages } = programFor(s, batch.x.shape);
  // The records this program's last step returned: their values are still in its heap (tensors are immutable).
  const inHeap = previous !== null && previous.program === program && previous.params === params && previous.state === state && previous.optimizer === optimizer;
  const arrays = inHeap || stages.some((st) => st.kind === 'eager') ? undefined : leafArrays(how.trees, program.leaves);
  if (!inHeap && arrays === undefined) return eagerStep();
  const given = inHeap ? 'in heap' : paramsIn(s, program, params).copy;
  // The update changes the heap's parameters: nothing there is trusted until the step has returned.
  s.resident = null;
  const settings: StepSettings = { calls: how.calls, plainSgd: how.plainSgd, state: arrays ?? { inHeap: how.trees.length } };
  const { out, l } = lossAndBackward(s, program, given, [], batch, true, undefined, settings);
  const next = program.update(settings);
  const byPath = new Map(program.leaves.map((leaf, i) => [leaf.path.join('.'), next[i]!] as const));
  const pick = <X extends Tree>(template: X, k: number): X => mapTree(template, (leaf, path) => {
    const r = byPath.get(path);
    if (r === undefined) throw new ArgumentError(`compile: "${path}" is not a parameter of the network`);
    return { shape: leaf.shape, data: k < 0 ? r.p : r.state[k]! };
  });
  const nextState = how.next(how.trees.map((tree, k) => pick(tree, k)));
  const nextParams = pick(params, -1);
  s.lastStep = { program, params: nextParams, state: nextState, optimizer };
  keep(s, program, next.map((r) => r.p));
  return { loss: l.out, out, params: nextParams, state: nextState };
};
