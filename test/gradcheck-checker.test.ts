// The checker must be able to fail: a backward with one wrong entry, or one
// that uses the filters unflipped, has to be reported.

import { describe, expect, it } from 'vitest';
import { tensor, copyData, type Tensor } from '../src/core/tensor.ts';
import { checkGradients } from '../src/graph/gradcheck.ts';
import { conv2d, padAll } from '../src/ops/index.ts';
import { randn } from './helpers.ts';

const flipSpatially = (w: Tensor): Tensor => {
  const [kh, kw, ci, co] = w.shape as [number, number, number, number];
  const out = new Float64Array(w.data.length);
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let c = 0; c < ci * co; c++) {
    out[((kh - 1 - y) * kw + (kw - 1 - x)) * ci * co + c] = w.data[(y * kw + x) * ci * co + c]!;
  }
  return tensor(w.shape, out);
};

describe('checkGradients', () => {
  const inputs = { x: randn([2, 5, 5, 2], 21), w: randn([3, 3, 2, 3], 22) };
  const opts = { stride: 1, pad: padAll(1) };

  it('passes the real conv2d backward', () => {
    expect(checkGradients((i) => conv2d(i.x!, i.w!, opts), inputs).ok).toBe(true);
  });

  it('reports a backward with one wrong entry', () => {
    const r = checkGradients((i) => {
      const op = conv2d(i.x!, i.w!, opts);
      return {
        out: op.out,
        backward: (dy: Tensor) => {
          const g = op.backward(dy);
          const dw = copyData(g.w);
          dw[7] = dw[7]! * 1.001;
          return { x: g.x, w: tensor(g.w.shape, dw) };
        },
      };
    }, inputs);
    expect(r.ok).toBe(false);
    expect(r.mismatches).toHaveLength(1);
    expect(r.mismatches[0]).toMatchObject({ input: 'w', index: 7 });
    expect(r.message).toContain('w[7]');
  });

  it('reports an input gradient computed with unflipped filters', () => {
    const r = checkGradients((i) => {
      const op = conv2d(i.x!, i.w!, opts);
      const wrong = conv2d(i.x!, flipSpatially(i.w!), opts);
      return { out: op.out, backward: (dy: Tensor) => ({ x: wrong.backward(dy).x, w: op.backward(dy).w }) };
    }, inputs);
    expect(r.ok).toBe(false);
    expect(r.mismatches.every((m) => m.input === 'x')).toBe(true);
  });

  it('reports a missing gradient', () => {
    expect(() => checkGradients((i) => {
      const op = conv2d(i.x!, i.w!, opts);
      return { out: op.out, backward: (dy: Tensor) => ({ x: op.backward(dy).x }) };
    }, inputs)).toThrow(/no gradient for input "w"/);
  });
});
