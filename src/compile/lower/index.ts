// The lowering rules, one per kind of stage: each emits its stage's forward
// and backward kernel calls into the call list being captured.

import type { Stage } from '../plan.ts';
import { convRule } from './conv.ts';
import { denseRule } from './dense.ts';
import { eagerRule } from './eager.ts';
import { biasRule, flattenRule, reluRule } from './elementwise.ts';
import { maxPoolRule } from './pool.ts';
import type { Rule } from './context.ts';

const rules: { readonly [K in Stage['kind']]: Rule<Extract<Stage, { kind: K }>> } = {
  conv: convRule,
  dense: denseRule,
  bias: biasRule,
  relu: reluRule,
  maxPool: maxPoolRule,
  flatten: flattenRule,
  eager: eagerRule,
};

/** The rule of a stage's kind. */
export const ruleOf = <S extends Stage>(st: S): Rule<S> => rules[st.kind] as unknown as Rule<S>;

export { type BackwardPass, type LowerContext } from './context.ts';
