// What a compiled network holds between calls: its machine (heap and
// kernels), a program per batch size it has seen (each planned and laid out
// once), and what its heap still holds — the parameters of the last call, or
// the records the last step returned. Any call may overwrite the heap, so
// each call forgets what it cannot vouch for before it starts.

import type { Tensor } from '../core/tensor.ts';
import type { Layer } from '../graph/layer.ts';
import type { Loss } from '../graph/losses.ts';
import type { Tree } from '../graph/tree.ts';
import type { Batch, LossAndGrad } from '../graph/value-and-grad.ts';
import { createProgram, type Machine, type Program } from './program.ts';
import { flattenLayers, planStages, type Stage } from './plan.ts';
import { leafData } from './records.ts';

/** How many values of each parameter array a call compares with the heap before trusting it is still there. */
const RESIDENT_SAMPLE = 64;
/** Programs kept (one per batch size seen; an epoch needs two, the full and the last batch). */
const PROGRAMS_KEPT = 4;
/**
 * The smallest batch a program splits with a helper thread. At batch 1 a
 * step's halves are tens of microseconds, and handing one over costs about
 * what it saves: measured over whole runs, one image trained and predicted
 * slower with a helper than without (0.68x and 0.91x on a 2-core EPYC). Such
 * a program runs on a machine of its own heap and no helper.
 */
const SPLIT_BATCH = 2;

/** The records a step returned, whose values are still in its program's heap. */
export interface LastStep {
  readonly program: Program;
  readonly params: Tree;
  readonly state: Tree;
  readonly optimizer: unknown;
}

/** A compiled network's state between calls. */
export interface Session {
  readonly net: Layer<Tree>;
  readonly machine: Machine;
  /**
   * A machine of its own heap, for the programs a helper would not split
   * (a batch of one): a shared heap's copies in and out cost more than
   * the split gains there, so these run as without a helper. Made on first use.
   */
  readonly unshared: () => Machine;
  /** The loss of valueAndGrad and step, on the eager kernels. */
  readonly loss: Loss<unknown>;
  /** valueAndGrad on the eager kernels: for float64 data and empty batches. */
  readonly eagerValueAndGrad: (params: Tree, batch: Batch<unknown>) => LossAndGrad<Tree>;
  /** Stages per input shape (batch axis left out), programs per batch shape, most recent last. */
  readonly plans: Map<string, Stage[]>;
  readonly programs: Map<string, Program>;
  /** The parameter arrays whose values the heap holds (tensors are immutable), if any. */
  resident: { readonly program: Program; readonly arrays: ReadonlyArray<Tensor['data']> } | null;
  /** What the last step left in the heap. */
  lastStep: LastStep | null;
  /** Throws when the kernel helper now serves another compiled network. */
  readonly mustOwnHelper: () => void;
}

/** The program for a batch of `shape` (batch first): planned and laid out on first use, the least recent dropped past {@link PROGRAMS_KEPT}. */
export const programFor = (s: Session, shape: readonly number[]): { readonly program: Program; readonly stages: Stage[] } => {
  s.mustOwnHelper();
  const inShape = shape.slice(1);
  const planKey = inShape.join(',');
  let stages = s.plans.get(planKey);
  if (stages === undefined) {
    stages = planStages(flattenLayers(s.net, inShape));
    s.plans.set(planKey, stages);
  }
  const key = shape.join(',');
  let program = s.programs.get(key);
  if (program === undefined) {
    const n = shape[0]!;
    program = createProgram(s.machine.helper !== undefined && n < SPLIT_BATCH ? s.unshared() : s.machine, stages, inShape, n);
    if (s.programs.size >= PROGRAMS_KEPT) s.programs.delete(s.programs.keys().next().value!);
  } else s.programs.delete(key);
  s.programs.set(key, program);
  return { program, stages };
};

// Whether the heap still holds `arrays`: a sample of each is compared, so that an array rewritten in place
// against the rule that tensors are immutable is copied in after all (a few values changed may go unseen).
const sampleMatches = (program: Program, arrays: ReadonlyArray<Tensor['data']>): boolean => {
  const f32 = program.heap.f32();
  for (let i = 0; i < arrays.length; i++) {
    const a = arrays[i]!;
    const { at, size } = program.leaves[i]!;
    const step = Math.max(1, Math.floor(size / RESIDENT_SAMPLE));
    for (let j = size - 1, h = (at >> 2) + j; j >= 0; j -= step, h -= step) if (f32[h] !== a[j]) return false;
  }
  return true;
};

/**
 * The parameter arrays of `params` for `program`, and what to copy in: the
 * arrays, or 'in heap' when they are the very arrays the heap holds. The
 * heap is trusted no more until {@link keep} says what it holds.
 */
export const paramsIn = (s: Session, program: Program, params: Tree): { readonly arrays: Array<Tensor['data']>; readonly copy: Array<Tensor['data']> | 'in heap' } => {
  const arrays = leafData(program.leaves, params);
  const was = s.resident;
  s.resident = null;
  const same = was !== null && was.program === program && arrays.every((a, i) => a === was.arrays[i]) && sampleMatches(program, arrays);
  return { arrays, copy: same ? 'in heap' : arrays };
};

/** Records that the heap holds `arrays` for `program` (a call that got this far did not fail). */
export const keep = (s: Session, program: Program, arrays: ReadonlyArray<Tensor['data']>): void => {
  s.resident = { program, arrays };
};
