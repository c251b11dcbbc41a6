// The API as a user meets it, through the package's entry point: one name
// per thing, the kernel set given once, any loss, a whole-network gradient
// check, shape errors that name the layer, readable values.

import { describe, expect, it } from 'vitest';
import {
  checkGradients, checkLayerGradients, createWasmKernels, crossEntropyLoss, fromArray, jsKernels, key, layers, meanSquaredError, ops, predict, serial,
  ShapeError, toArray, valueAndGrad, type Layer, type NoParams, type Tensor,
} from '../src/index.ts';

const randomish = (n: number, seed: number): number[] => Array.from({ length: n }, (_, i) => Math.sin(seed * 7.1 + i * 1.37) + 0.05 * ((i % 3) - 1));

// A layer written by a user: y = 2x, no parameters.
const double = (): Layer<NoParams> => ({
  describe: (s, name) => ({ outShape: s, rows: [{ name, kind: 'double', outShape: s, params: 0, macs: 0 }] }),
  init: () => ({}),
  apply: (_, x) => ({
    out: { shape: x.shape, data: x.data.map((v) => 2 * v) },
    backward: (dy) => ({ x: { shape: dy.shape, data: dy.data.map((v) => 2 * v) }, params: {} }),
  }),
});

const net = serial({
  conv1: layers.conv({ filters: 3, size: 3 }),
  act: layers.relu(),
  twice: double(),
  flat: layers.flatten(),
  dense1: layers.dense({ units: 4 }),
});
const params = net.init(key(1), [5, 5, 1]);
const x = fromArray([2, 5, 5, 1], randomish(50, 1));

describe('the API', () => {
  it('ops and layers are namespaces: ops.relu is the op, layers.relu() the layer', () => {
    expect(toArray(ops.relu(fromArray([3], [-1, 0, 2])).out)).toEqual([0, 0, 2]);
    const l = layers.relu();
    expect(toArray(l.apply({}, fromArray([1, 2], [-3, 3]), { kernels: jsKernels }).out)).toEqual([0, 3]);
  });

  it('checks a whole network, user layer included, over its parameter tree in one call', () => {
    const r = checkLayerGradients(net, params, x);
    expect(r.ok, r.message).toBe(true);
    expect(r.checked).toBe(50 + 27 + 3 * 9 * 4 + 4);
  });

  it('and fails it when a layer\'s backward is wrong', () => {
    const wrong: Layer<NoParams> = { ...double(), apply: (p, x1, o) => { const f = double().apply(p, x1, o); return { out: f.out, backward: (dy) => ({ ...f.backward(dy), x: dy }) }; } };
    const badNet = serial({ conv1: layers.conv({ filters: 2, size: 3 }), bad: wrong });
    const r = checkLayerGradients(badNet, badNet.init(key(2), [5, 5, 1]), x);
    expect(r.ok).toBe(false);
  });

  it('valueAndGrad takes any loss: mean squared error against a tensor target', () => {
    const target = fromArray([2, 4], [1, 0, 0, 1, 0, 1, 1, 0]);
    const vg = valueAndGrad(net, { kernels: jsKernels, loss: meanSquaredError });
    const r = vg(params, { x, labels: target });
    const out = predict(net, params, x, { kernels: jsKernels });
    const want = toArray(out).reduce((s, v, i) => s + (v - target.data[i]!) ** 2, 0) / (2 * 2);
    expect(r.loss).toBeCloseTo(want, 5);
    expect(Object.keys(r.grads)).toEqual(['conv1', 'act', 'twice', 'flat', 'dense1']);
  });

  it('the kernel set is given once and reaches every op: WASM and JS agree', () => {
    const a = valueAndGrad(net, { kernels: createWasmKernels() })(params, { x, labels: [1, 3] });
    const b = valueAndGrad(net, { kernels: jsKernels })(params, { x, labels: [1, 3] });
    expect(a.loss).toBeCloseTo(b.loss, 5);
  });

  it('a shape error names the layer path as well as the op', () => {
    const inner = serial({ dense1: layers.dense({ units: 3 }) });
    const outer = serial({ flat: layers.flatten(), block: inner });
    const p = outer.init(key(0), [8]);
    let caught: unknown;
    try {
      outer.apply(p, fromArray([2, 9], randomish(18, 3)), { kernels: jsKernels });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ShapeError);
    expect((caught as ShapeError).message).toBe('layer block.dense1: dense: input and weights do not match: [2, 9] and [8, 3]');
    expect((caught as ShapeError).layerPath).toEqual(['block', 'dense1']);
  });

  it('a parameter record missing a layer with parameters is a clear error; one without parameters may be left out', () => {
    const { dense1: _, ...noDense } = params;
    expect(() => net.apply(noDense as never, x, { kernels: jsKernels })).toThrow('serial: the parameter record has no "dense1" (it has conv1, act, twice, flat); make it with the network\'s init');
    const { act: _a, ...noAct } = params;
    expect(() => net.apply(noAct as never, x, { kernels: jsKernels })).not.toThrow();
  });

  it('toArray reads a tensor\'s values', () => {
    const t: Tensor = fromArray([2, 2], [1, 2, 3, 4]);
    expect(toArray(t)).toEqual([1, 2, 3, 4]);
  });
});

describe('the network table', () => {
  it('refuses a window that does not fit instead of showing an empty shape', () => {
    expect(() => layers.maxPool({ size: 5 }).describe([4, 4, 1], 'pool')).toThrow('maxPool: its window does not fit inputs of shape [4, 4, 1] (output [0, 0, 1])');
    expect(() => serial({ c: layers.conv({ filters: 2, size: 7 }) }).describe([5, 5, 1], '')).toThrow(/conv: its window does not fit inputs of shape \[5, 5, 1\]/);
  });
});

describe('losses', () => {
  const out = fromArray([3, 4], randomish(12, 5));
  const target = fromArray([3, 4], randomish(12, 6));
  it('meanSquaredError and crossEntropyLoss pass the float64 gradient check, and the checker catches a wrong one', () => {
    expect(checkGradients((i) => meanSquaredError(i.out!, target), { out }).ok).toBe(true);
    expect(checkGradients((i) => crossEntropyLoss(i.out!, [0, 3, 1]), { out }).ok).toBe(true);
    const wrong = (i: { readonly out: Tensor }) => {
      const l = meanSquaredError(i.out, target);
      return { out: l.out, backward: (d: number) => ({ out: l.backward(2 * d).out }) };
    };
    expect(checkGradients(wrong, { out }).ok).toBe(false);
  });

  it('leave their inputs unchanged', () => {
    const before = [toArray(out), toArray(target)];
    meanSquaredError(out, target).backward(1);
    crossEntropyLoss(out, [0, 3, 1]).backward(1);
    expect([toArray(out), toArray(target)]).toEqual(before);
  });
});
