// Optimizer rules on numbers small enough to check by hand, and schedules.

import { describe, expect, it } from 'vitest';
import { jsKernels } from '../src/ops/kernels/index.ts';
import { fromArray } from '../src/core/tensor.ts';
import { adam, constant, momentum, sgd, stepDecay, warmupCosine } from '../src/graph/index.ts';
import { scheduleFor } from '../src/program/recipe/recipe.ts';

const p = { w: fromArray([2], [1, -2], 'float64') };
const g = { w: fromArray([2], [0.5, -4], 'float64') };

describe('optimizers', () => {
  it('sgd: p - lr g', () => {
    const s = sgd();
    expect(Array.from(s.step(p, g, s.init(p), { lr: 0.1, kernels: jsKernels }).params.w.data)).toEqual([1 - 0.05, -2 + 0.4]);
  });

  it('momentum: the second step uses mu v + g', () => {
    const m = momentum({ mu: 0.9 });
    const one = m.step(p, g, m.init(p), { lr: 0.1, kernels: jsKernels });
    const two = m.step(one.params, g, one.state, { lr: 0.1, kernels: jsKernels });
    const v2 = 0.9 * 0.5 + 0.5;
    expect(two.params.w.data[0]).toBeCloseTo(1 - 0.05 - 0.1 * v2, 12);
  });

  it('adam: the first step moves each weight by about lr, against its gradient', () => {
    const a = adam();
    const s = a.step(p, g, a.init(p), { lr: 0.01, kernels: jsKernels });
    expect(s.params.w.data[0]).toBeCloseTo(1 - 0.01, 6);
    expect(s.params.w.data[1]).toBeCloseTo(-2 + 0.01, 6);
    expect(s.state.t.data[0]).toBe(1);
  });
});

describe('schedules', () => {
  it('constant and step decay', () => {
    expect(constant(0.1)(7)).toBe(0.1);
    expect(stepDecay(1, 0.5, 2)(5)).toBe(0.25);
  });
  it('continuous warm-up + cosine moves within an epoch, and a run of warmup + decay epochs ends at the final rate', () => {
    const s = warmupCosine({ max: 1, init: 0, final: 0, warmup: 1, decay: 2, continuous: true });
    expect(s(0.5)).toBeCloseTo(0.5, 12);
    expect(s(1)).toBe(1);
    expect(s(2)).toBeCloseTo(Math.SQRT1_2, 12);
    expect(s(3)).toBeCloseTo(0, 12);
    // Per epoch: the last of warmup + decay epochs trains at the final rate.
    const perEpoch = warmupCosine({ max: 1, init: 0, final: 0.01, warmup: 3, decay: 6 });
    expect(perEpoch(8.5)).toBeCloseTo(0.01, 15);
    expect(perEpoch(7)).toBeGreaterThan(0.01);
  });
  it("the CLI's two recipes give the rates they gave when warmupCosine took the decay plus one, to the last bit", () => {
    // The schedule as it was computed before `decay` meant the fall's length (frozen copy).
    const before = (c: { preset: 'seed' | 'default'; lr: number; epochs: number }) => {
      const shape = (max: number, init: number, final: number, warmup: number, decay: number, continuous: boolean) => (epoch: number) => {
        const e = continuous ? epoch : Math.floor(epoch);
        if (e < warmup) return ((max - init) * e) / warmup + init;
        const progress = decay > 1 ? (e - warmup) / (decay - 1) : 0;
        return (max - final) * Math.max(0, Math.cos((progress * Math.PI) / 2)) + final;
      };
      if (c.preset === 'seed') {
        const warmup = Math.min(3, c.epochs - 1);
        return shape(c.lr, 1e-5, 1e-5, warmup, c.epochs - warmup, false);
      }
      const warmup = Math.min(0.3, c.epochs / 4);
      return shape(c.lr, c.lr / 20, c.lr / 100, warmup, c.epochs - warmup + 1, true);
    };
    let compared = 0;
    // 2, 8 and 32 epochs are where epochs - warmup and (epochs - warmup + 1) - 1 round apart.
    for (const epochs of [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 32]) {
      for (const [preset, lr] of [['default', 2e-3], ['seed', 1e-3], ['default', 0.01]] as const) {
        const now = scheduleFor({ preset, lr, epochs }), then = before({ preset, lr, epochs });
        for (const steps of [938, 157, 1]) {
          for (let i = 0; i < epochs * steps; i++) {
            const at = Math.floor(i / steps) + (i % steps) / steps;
            if (!Object.is(now(at), then(at))) expect.fail(`${preset} lr ${lr}, ${epochs} epochs, step ${i} of ${steps} an epoch: ${now(at)}, was ${then(at)}`);
            compared++;
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(290_000);
  });
  it('a decay of one epoch or less stays at the peak instead of jumping to the final rate', () => {
    for (const decay of [1, 0.5]) {
      const s = warmupCosine({ max: 1, init: 0, final: 0.01, warmup: 1, decay });
      expect(s(0)).toBe(0);
      expect(s(1)).toBe(1);
    }
    // The seed recipe at 1 and 2 epochs: the last epoch trains at the peak, not at 1e-5.
    expect(scheduleFor({ preset: 'seed', lr: 1e-3, epochs: 1 })(0)).toBe(1e-3);
    expect(scheduleFor({ preset: 'seed', lr: 1e-3, epochs: 2 })(1)).toBe(1e-3);
  });
});
