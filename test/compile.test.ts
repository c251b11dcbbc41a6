// The compiled path against the eager ops, its oracle: on the seed network,
// nested pipelines, random networks of every layer kind with a user's own
// layer among them, and both WASM modules (plain SIMD and FMA), the compiled
// valueAndGrad and predict give the eager results bit for bit; they leave
// their inputs alone, and refuse a wrong parameter record as the eager path
// does. With a kernel helper (a second thread on a shared heap) every call
// gives one thread's numbers bit for bit.

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../src/compile/compile.ts';
import { helperInit, helperPort, type KernelHelper } from '../src/compile/helper.ts';
import { startKernelHelper } from '../src/platform/kernel-helper.ts';
import { key, uniform } from '../src/core/random.ts';
import { astype, tensor, type Tensor } from '../src/core/tensor.ts';
import {
  conv, dense, flatten, maxPool, relu, untiedBias, bias, leaves, seedNetwork, serial, valueAndGrad, predict, adam, momentum, sgd,
  type Layer, type Optimizer, type Tree,
} from '../src/graph/index.ts';
import { padAll } from '../src/ops/conv2d.ts';
import { jsKernels, type Kernels } from '../src/ops/kernels/index.ts';
import { createWasmKernels, hasRelaxedSimd } from '../src/ops/kernels/wasm/gemm-wasm.ts';
import { fuzzParameters } from './fuzz-helpers.ts';
import { expectSameTree, same, snapshot } from './helpers.ts';

/** A user's own layer, written without a spec: leaky ReLU with a learnt slope. */
const leaky = (): Layer<{ readonly a: Tensor }> => ({
  describe: (s, name) => ({ outShape: s, rows: [{ name, kind: 'leaky relu', outShape: s, params: 1, macs: 0 }] }),
  init: () => ({ a: tensor([1], Float32Array.of(0.1)) }),
  apply: (p, x) => {
    const a = p.a.data[0]!;
    const y = new Float32Array(x.data.length);
    for (let i = 0; i < y.length; i++) y[i] = x.data[i]! > 0 ? x.data[i]! : a * x.data[i]!;
    return {
      out: tensor(x.shape, y),
      backward: (dy) => {
        const dx = new Float32Array(y.length);
        let da = 0;
        for (let i = 0; i < y.length; i++) {
          dx[i] = x.data[i]! > 0 ? dy.data[i]! : a * dy.data[i]!;
          if (x.data[i]! <= 0) da += x.data[i]! * dy.data[i]!;
        }
        return { x: tensor(x.shape, dx), params: { a: tensor([1], Float32Array.of(da)) } };
      },
    };
  },
});

const images = (n: number, shape: readonly number[], seed: number): Tensor =>
  tensor([n, ...shape], Float32Array.from(uniform(key(seed), n * shape.reduce((a, b) => a * b, 1)), (v) => v * 2 - 1));
const labelsOf = (n: number, classes: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7) % classes);

const flavours = [false, ...(hasRelaxedSimd() ? [true] : [])];

describe('compile: the seed network', () => {
  for (const fma of flavours) {
    it(`gives the eager ${fma ? 'FMA' : 'plain SIMD'} loss, logits and gradients bit for bit at batch 1, 9 and 20`, () => {
      const net = seedNetwork({ init: 'he', widths: [8, 8, 16, 12] });
      const params = net.init(key(3), [28, 28, 1]);
      const c = compile(net, { fma });
      const eager = valueAndGrad(net, { kernels: createWasmKernels({ fma }) });
      expect(c.kernels.name).toBe(fma ? 'wasm-fma' : 'wasm');
      for (const n of [1, 9, 20, 9]) {
        const batch = { x: images(n, [28, 28, 1], n), labels: labelsOf(n, 10) };
        const got = c.valueAndGrad(params, batch);
        const want = eager(params, batch);
        expect(got.loss).toBe(want.loss);
        expect(got.out.data).toEqual(want.out.data);
        expectSameTree(got.grads, want.grads);
      }
    });
  }

  it('predicts as the eager network, in passes of 256 images', () => {
    const net = seedNetwork({ init: 'he', widths: [4, 8, 8, 10] });
    const params = net.init(key(4), [28, 28, 1]);
    const c = compile(net, { fma: false });
    const kernels = createWasmKernels({ fma: false });
    const x = images(259, [28, 28, 1], 5);
    const got = c.predict(params, x);
    expect(got.shape).toEqual([259, 10]);
    const part = (a: number, b: number) => predict(net, params, tensor([b - a, 28, 28, 1], x.data.slice(a * 784, b * 784) as Float32Array), { kernels }).data;
    expect(got.data).toEqual(Float32Array.from([...part(0, 256), ...part(256, 259)]));
    expect(c.predict(params, tensor([7, 28, 28, 1], x.data.slice(0, 7 * 784) as Float32Array)).data).toEqual(part(0, 7));
  });

  it('valueAndGradTo hands out the gradients valueAndGrad gives, by path, for a pipeline and for a lone layer of your own', () => {
    const cases: Array<[Layer<any>, number[]]> = [ // eslint-disable-line @typescript-eslint/no-explicit-any
      [seedNetwork({ init: 'he', widths: [4, 8, 8, 10] }), [28, 28, 1]],
      [leaky(), [3]],
    ];
    for (const [net, shape] of cases) {
      const params = net.init(key(5), shape);
      const batch = { x: images(3, shape, 6), labels: [0, 1, 2] };
      // The lone leaky layer's output is [3, 3]: the cross-entropy's logits for labels 0-2.
      const c = compile(net, { fma: false });
      const got = new Map<string, Float32Array>();
      const r = c.valueAndGradTo(params, batch, (path, g) => got.set(path, Float32Array.from(g)));
      const want = c.valueAndGrad(params, batch);
      expect(r.loss).toBe(want.loss);
      expect([...got.keys()].sort()).toEqual(leaves(want.grads).map(([p]) => p).sort());
      for (const [p, t] of leaves(want.grads)) expect(got.get(p), p).toEqual(t.data);
    }
  });

  it('a layer or optimizer copied from a shipped one with its own apply or step runs that, not the spec it carried over', () => {
    const base = conv({ filters: 4, size: 3 });
    // A conv that doubles its output: same spec, different function.
    const doubled: typeof base = { ...base, apply: (p, x, o) => {
      const op = base.apply(p, x, o);
      return { out: tensor(op.out.shape, Float32Array.from(op.out.data, (v) => 2 * v)), backward: (dy) => op.backward(tensor(dy.shape, Float32Array.from(dy.data, (v) => 2 * v))) };
    } };
    const net = serial({ c: doubled, flat: flatten(), fc: dense({ units: 3 }) });
    const params = net.init(key(13), [6, 6, 1]);
    const batch = { x: images(2, [6, 6, 1], 14), labels: [0, 2] };
    const c = compile(net, { fma: false });
    const want = valueAndGrad(net, { kernels: c.kernels })(params, batch);
    expect(c.valueAndGrad(params, batch).loss).toBe(want.loss);
    expectSameTree(c.valueAndGrad(params, batch).grads, want.grads);
    // An SGD whose step does nothing: the compiled step must call it, not run SGD from its hyper.
    const still = { ...(sgd() as unknown as Optimizer<Tree>), step: <P extends Tree>(p: P, _g: P, st: Tree) => ({ params: p, state: st }) } as unknown as Optimizer<Tree>;
    expect(c.step(still, params, {}, batch, 0.1).params).toBe(params);
  });

  it('a copy of a shipped layer that keeps its apply is still planned from its spec (the mark is SPEC_APPLY, not freezing)', () => {
    const copy = { ...conv({ filters: 4, size: 3 }) };
    expect(Object.isFrozen(copy)).toBe(false);
    const net = serial({ c: copy, flat: flatten(), fc: dense({ units: 3 }) });
    const params = net.init(key(15), [6, 6, 1]);
    const rows = compile(net, { fma: false }).profile(params, { x: images(2, [6, 6, 1], 16), labels: [0, 2] });
    expect(rows.map((r) => r.kind)).toEqual(['conv', 'flatten', 'dense']);
    const mimic = { ...copy, apply: copy.apply.bind(null) };
    const eager = compile(serial({ c: mimic, flat: flatten(), fc: dense({ units: 3 }) }), { fma: false }).profile(params, { x: images(2, [6, 6, 1], 16), labels: [0, 2] });
    expect(eager.map((r) => r.kind)).toEqual(['eager', 'flatten', 'dense']);
  });

  it('profile names every stage and times it', () => {
    const net = seedNetwork({ init: 'he', widths: [4, 8, 8, 10] });
    const rows = compile(net).profile(net.init(key(6), [28, 28, 1]), { x: images(2, [28, 28, 1], 7), labels: [1, 2] });
    expect(rows.map((r) => r.stage)).toEqual(['conv1+add1+relu1', 'pool1', 'conv2+add2+relu2', 'pool2', 'conv3+add3+relu3', 'flatten', 'dense1+relu4', 'dense2']);
    for (const r of rows) expect(r.forwardMs >= 0 && r.backwardMs >= 0).toBe(true);
  });

  it('writes neither the parameters nor the batch, and gives fresh arrays each call', () => {
    const net = seedNetwork({ init: 'he', widths: [4, 8, 8, 10] });
    const params = net.init(key(5), [28, 28, 1]);
    const before = leaves(params).map(([, t]) => snapshot(t));
    const x = images(5, [28, 28, 1], 6);
    const xBefore = snapshot(x);
    const c = compile(net);
    const a = c.valueAndGrad(params, { x, labels: labelsOf(5, 10) });
    const b = c.valueAndGrad(params, { x, labels: labelsOf(5, 10) });
    expect(leaves(params).map(([, t]) => snapshot(t))).toEqual(before);
    expect(snapshot(x)).toEqual(xBefore);
    expect(a.grads.conv1.w.data).not.toBe(b.grads.conv1.w.data);
    expect(a.grads.conv1.w.data).toEqual(b.grads.conv1.w.data);
  });
});

describe('compile: a whole training step', () => {
  const optimizers: Array<[string, Optimizer<Tree>]> = [
    ['adam', adam() as unknown as Optimizer<Tree>],
    ['momentum', momentum({ mu: 0.7 }) as unknown as Optimizer<Tree>],
    ['sgd', sgd() as unknown as Optimizer<Tree>],
  ];
  for (const [name, opt] of optimizers) {
    it(`${name}: six steps give valueAndGrad + optimizer.step bit for bit, and leave the old records as they were`, () => {
      const net = seedNetwork({ init: 'he', widths: [8, 8, 16, 12] });
      const c = compile(net, { fma: false });
      const vg = valueAndGrad(net, { kernels: c.kernels });
      let p = net.init(key(11), [28, 28, 1]);
      let s = opt.init(p);
      let q = p;
      let u = s;
      // Chained steps at one batch size take the parameters and state from the heap; a predict in between
      // (on other parameters, same shape) overwrites the heap, so the next step copies them in again.
      for (const [i, n] of [3, 3, 3, 1, 4, 4].entries()) {
        const batch = { x: images(n, [28, 28, 1], 20 + i), labels: labelsOf(n, 10) };
        if (i === 2) c.predict(net.init(key(99), [28, 28, 1]), batch.x);
        const before = leaves(p).map(([, t]) => snapshot(t));
        const got = c.step(opt, p, s, batch, 0.05);
        const g = vg(q, batch);
        const want = opt.step(q, g.grads, u, { lr: 0.05, kernels: c.kernels });
        expect(got.loss).toBe(g.loss);
        expect(got.out.data).toEqual(g.out.data);
        expectSameTree(got.params, want.params);
        expectSameTree(got.state, want.state);
        expect(leaves(p).map(([, t]) => snapshot(t))).toEqual(before);
        p = got.params;
        s = got.state;
        q = want.params;
        u = want.state;
      }
    });
  }

  // At batch 1 an SGD step updates a dense layer in its backward pass (dense_sgd1) when its sizes are multiples of 4.
  it.each([
    ['the seed network (dense1 fused, dense2 of 10 units not)', seedNetwork({ init: 'he', widths: [4, 8, 8, 12] }) as unknown as Layer<Tree>, [28, 28, 1]],
    ['dense layers only, the first without an input gradient', serial({ fc1: dense({ units: 8 }), r: relu(), fc2: dense({ units: 4 }), fc3: dense({ units: 3 }) }) as unknown as Layer<Tree>, [12]],
    ['a flatten first, then dense layers (the first again without an input gradient)', serial({ flat: flatten(), fc1: dense({ units: 8 }), r: relu(), fc2: dense({ units: 3 }) }) as unknown as Layer<Tree>, [4, 2, 2]],
  ] as const)('sgd at batch 1, %s: chained steps give valueAndGrad + sgd bit for bit', (_, net, shape) => {
    const c = compile(net, { fma: false });
    const vg = valueAndGrad(net, { kernels: c.kernels });
    const opt = sgd() as unknown as Optimizer<Tree>;
    let p = net.init(key(21), shape);
    let q = p;
    for (let i = 0; i < 5; i++) {
      const batch = { x: images(1, shape, 40 + i), labels: [i % 3] };
      const before = leaves(p).map(([, t]) => snapshot(t));
      const got = c.step(opt, p, {}, batch, 0.3);
      const g = vg(q, batch);
      const want = opt.step(q, g.grads, {}, { lr: 0.3, kernels: c.kernels });
      expect(got.loss).toBe(g.loss);
      expectSameTree(got.params, want.params);
      expect(leaves(p).map(([, t]) => snapshot(t))).toEqual(before);
      // The step moved every dense weight (a fused update that wrote nothing would leave them).
      for (const [path, t] of leaves(got.params)) if (/^(dense|fc)\d\.w$/.test(path)) expect(t.data, path).not.toEqual(leaves(p).find(([k]) => k === path)![1].data);
      p = got.params;
      q = want.params;
    }
  });

  it('takes the eager way with a layer of your own, with the same numbers', () => {
    const net = serial({ c: conv({ filters: 4, size: 3 }), mine: leaky(), flat: flatten(), fc: dense({ units: 3 }) });
    const c = compile(net, { fma: false });
    const opt = adam() as unknown as Optimizer<Tree>;
    const params = net.init(key(12), [6, 6, 1]);
    const batch = { x: images(2, [6, 6, 1], 3), labels: [0, 2] };
    const got = c.step(opt, params, opt.init(params), batch, 0.1);
    const g = valueAndGrad(net, { kernels: c.kernels })(params, batch);
    expectSameTree(got.params, opt.step(params, g.grads, opt.init(params), { lr: 0.1, kernels: c.kernels }).params);
  });
});

describe('compile: parameters kept in the heap between calls', () => {
  const net = seedNetwork({ init: 'he', widths: [4, 8, 8, 12] }) as unknown as Layer<Tree>;
  type Seedish = { readonly dense1: { readonly w: Tensor; readonly b: Tensor } };
  const eagerPredict = (c: { kernels: Kernels }, p: Tree, x: Tensor) => predict(net, p, x, { kernels: c.kernels }).data;

  it('a call with the arrays of the call before skips the copy and gives the same numbers; other arrays are copied in', () => {
    const c = compile(net, { fma: false });
    const [p, q] = [net.init(key(1), [28, 28, 1]), net.init(key(2), [28, 28, 1])];
    const x = images(2, [28, 28, 1], 5);
    for (const params of [p, p, q, p, q, q]) expect(c.predict(params, x).data).toEqual(eagerPredict(c, params, x));
    // A record rebuilt from the same arrays is the same parameters.
    const again = { ...p, dense1: { ...(p as Seedish).dense1 } };
    expect(c.predict(again, x).data).toEqual(eagerPredict(c, p, x));
  });

  it('notices an array changed in place against the rule (a sample of each is compared)', () => {
    const c = compile(net, { fma: false });
    const p = net.init(key(3), [28, 28, 1]);
    const x = images(3, [28, 28, 1], 6);
    const before = c.predict(p, x).data;
    // What an optimizer that writes in place would do.
    const w = (p as Seedish).dense1.w.data as Float32Array;
    for (let i = 0; i < w.length; i++) w[i] = w[i]! * 0.5 + 0.01;
    const after = c.predict(p, x).data;
    expect(after).not.toEqual(before);
    expect(after).toEqual(eagerPredict(c, p, x));
  });

  it('after a step the returned records are in the heap; the old ones, and a call that failed half way, are not trusted', () => {
    const c = compile(net, { fma: false });
    const opt = sgd() as unknown as Optimizer<Tree>;
    const p = net.init(key(4), [28, 28, 1]);
    const one = { x: images(1, [28, 28, 1], 7), labels: [3] };
    const next = c.step(opt, p, {}, one, 0.5).params;
    expect(c.predict(next, one.x).data).toEqual(eagerPredict(c, next, one.x));
    c.step(opt, next, {}, one, 0.5);
    expect(c.predict(p, one.x).data).toEqual(eagerPredict(c, p, one.x));
    // A call that fails at the loss (a label out of range) after copying q in: p must be copied in again. q differs
    // from p only where the sample does not look (every value of dense1.w but 64 evenly spaced from the end), so
    // only forgetting what is in the heap at the start of each call catches it.
    const pw = (p as Seedish).dense1.w;
    const stride = Math.floor(pw.data.length / 64);
    const qw = Float32Array.from(pw.data, (v, j) => ((pw.data.length - 1 - j) % stride === 0 ? v : 2 * v + 0.1));
    const q = { ...p, dense1: { ...(p as Seedish).dense1, w: tensor(pw.shape, qw) } };
    expect(eagerPredict(c, q, one.x)).not.toEqual(eagerPredict(c, p, one.x));
    for (const fail of [() => c.step(opt, q, {}, { x: one.x, labels: [10] }, 0.5), () => c.valueAndGrad(q, { x: one.x, labels: [10] })]) {
      expect(c.predict(p, one.x).data).toEqual(eagerPredict(c, p, one.x));
      expect(fail).toThrow();
      expect(c.predict(p, one.x).data).toEqual(eagerPredict(c, p, one.x));
    }
  });
});

describe('compile: other networks', () => {
  it('nests serials, fuses a tied bias, and runs a user layer on its own apply', () => {
    const net = serial({
      block: serial({ c: conv({ filters: 6, size: 3, stride: 2, pad: padAll(1) }), b: bias(), act: relu() }),
      mine: leaky(),
      pool: maxPool({ size: 2, padValue: -Infinity }),
      flat: flatten(),
      fc: dense({ units: 5 }),
    });
    const params = net.init(key(6), [9, 9, 3]);
    const batch = { x: images(7, [9, 9, 3], 7), labels: labelsOf(7, 5) };
    const got = compile(net, { fma: false }).valueAndGrad(params, batch);
    const want = valueAndGrad(net, { kernels: createWasmKernels({ fma: false }) })(params, batch);
    expect(got.loss).toBe(want.loss);
    expectSameTree(got.grads, want.grads);
    expect(Object.keys(got.grads)).toEqual(['block', 'mine', 'pool', 'flat', 'fc']);
  });

  it('matches float64 finite differences through the eager oracle (gradients within float32 rounding)', () => {
    const net = serial({ c: conv({ filters: 4, size: 3, pad: padAll(1) }), add: untiedBias(), act: relu(), flat: flatten(), fc: dense({ units: 3 }) });
    const params = net.init(key(8), [5, 5, 1]);
    const x = images(3, [5, 5, 1], 9);
    const got = compile(net, { fma: false }).valueAndGrad(params, { x, labels: [0, 1, 2] });
    const p64 = JSON.parse(JSON.stringify(leaves(params).map(([p]) => p))) as string[];
    const want = valueAndGrad(net, { kernels: jsKernels })(
      Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Object.fromEntries(Object.entries(v).map(([kk, t]) => [kk, astype(t as Tensor, 'float64')]))])) as typeof params,
      { x: astype(x, 'float64'), labels: [0, 1, 2] },
    );
    const w = new Map(leaves(want.grads));
    expect(leaves(got.grads).map(([p]) => p)).toEqual(p64);
    for (const [p, t] of leaves(got.grads)) {
      const ref = w.get(p)!.data;
      const scale = Math.max(1e-3, ...Array.from(ref, Math.abs));
      t.data.forEach((v, i) => expect(Math.abs(v - ref[i]!) / scale, p).toBeLessThan(1e-4));
    }
  });

  it('refuses a record without a layer, and a parameter of the wrong shape, naming the layer', () => {
    const net = serial({ c: conv({ filters: 4, size: 3 }), act: relu(), flat: flatten(), fc: dense({ units: 2 }) });
    const params = net.init(key(9), [6, 6, 2]);
    const c = compile(net);
    const batch = { x: images(2, [6, 6, 2], 1), labels: [0, 1] };
    const { c: _, ...noConv } = params;
    expect(() => c.valueAndGrad(noConv as unknown as typeof params, batch)).toThrow('the parameter record has no "c"');
    const wrong = { ...params, fc: { ...params.fc, w: tensor([64, 3], new Float32Array(192)) } };
    expect(() => c.valueAndGrad(wrong, batch)).toThrow('layer fc: parameter w is [64, 3]; the network needs [64, 2] here');
    expect(() => c.predict(params, images(2, [5, 6, 2], 1))).toThrow();
    expect(() => c.predict(params, tensor([2, 6, 6], new Float32Array(72)))).toThrow('layer c: conv: expects inputs of shape [h, w, c], got [6, 6]');
    expect(() => c.step(adam() as unknown as Optimizer<Tree>, params, {}, batch, 0.1)).toThrow("the state is not adam's ({ m, v, t })");
  });

  it('takes float64 on the eager path, with the same results as valueAndGrad', () => {
    const net = serial({ flat: flatten(), fc: dense({ units: 3 }) });
    const params = net.init(key(10), [2, 2, 1]);
    const p64 = { ...params, fc: { w: astype(params.fc.w, 'float64'), b: astype(params.fc.b, 'float64') } };
    const x = astype(images(2, [2, 2, 1], 2), 'float64');
    const got = compile(net).valueAndGrad(p64, { x, labels: [0, 2] });
    const want = valueAndGrad(net, { kernels: createWasmKernels() })(p64, { x, labels: [0, 2] });
    expect(got.grads.fc.w.data).toEqual(want.grads.fc.w.data);
    expect(got.grads.fc.w.data).toBeInstanceOf(Float64Array);
  });
});

// Random pipelines of every kind of layer the planner knows, and a user's own.
const layerArb = fc.oneof(
  fc.record({ kind: fc.constant('conv' as const), filters: fc.integer({ min: 1, max: 9 }), size: fc.integer({ min: 1, max: 3 }), stride: fc.integer({ min: 1, max: 2 }), pad: fc.integer({ min: 0, max: 1 }) }),
  fc.record({ kind: fc.constant('bias' as const), untied: fc.boolean() }),
  fc.record({ kind: fc.constant('relu' as const) }),
  fc.record({ kind: fc.constant('pool' as const), size: fc.integer({ min: 2, max: 3 }), zero: fc.boolean() }),
  fc.record({ kind: fc.constant('mine' as const) }),
);
type LayerPick = typeof layerArb extends fc.Arbitrary<infer A> ? A : never;

const build = (picks: readonly LayerPick[], units: number) => {
  const entries: Record<string, Layer<any>> = {}; // eslint-disable-line @typescript-eslint/no-explicit-any
  let hw = 8;
  picks.forEach((p, i) => {
    if (p.kind === 'conv') {
      const out = Math.floor((hw + 2 * p.pad - p.size) / p.stride) + 1;
      if (out < 1) return;
      entries[`l${i}`] = conv({ filters: p.filters, size: p.size, stride: p.stride, pad: padAll(p.pad) });
      hw = out;
    } else if (p.kind === 'bias') entries[`l${i}`] = p.untied ? untiedBias() : bias();
    else if (p.kind === 'relu') entries[`l${i}`] = relu();
    else if (p.kind === 'pool') {
      if (hw < p.size) return;
      entries[`l${i}`] = maxPool({ size: p.size, stride: 2, pad: { top: 0, bottom: 1, left: 0, right: 1 }, padValue: p.zero ? 0 : -Infinity });
      hw = Math.floor((hw + 1 - p.size) / 2) + 1;
    } else entries[`l${i}`] = leaky();
  });
  entries.flat = flatten();
  entries.fc = dense({ units });
  entries.act = relu();
  entries.out = dense({ units: 3 });
  return serial(entries);
};

/** Random networks compiled by `compileIt` give the eager plain-SIMD results bit for bit. */
const randomNetworksMatchEager = (compileIt: (net: Layer<Tree>) => ReturnType<typeof compile<Tree>>, runs: number): void => {
  const eagerKernels = createWasmKernels({ fma: false });
  fc.assert(
    fc.property(
      fc.array(layerArb, { minLength: 1, maxLength: 7 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 12 }), fc.nat(1000),
      (picks, channels, n, units, seed) => {
        const net = build(picks, units) as unknown as Layer<Tree>;
        const params = net.init(key(seed), [8, 8, channels]);
        const batch = { x: images(n, [8, 8, channels], seed + 1), labels: labelsOf(n, 3) };
        const c = compileIt(net);
        const got = c.valueAndGrad(params, batch);
        const want = valueAndGrad(net, { kernels: eagerKernels })(params, batch);
        expect(got.loss).toBe(want.loss);
        expect(got.out.data).toEqual(want.out.data);
        expectSameTree(got.grads, want.grads);
        expect(c.predict(params, batch.x).data).toEqual(want.out.data);
      },
    ),
    fuzzParameters(runs),
  );
};

describe('compile: random networks', () => {
  it('gives the eager results bit for bit', () => randomNetworksMatchEager((net) => compile(net, { fma: false }), 60));
});


describe('compile with a kernel helper: two threads, one thread\'s numbers', () => {
  let helper: KernelHelper;
  beforeAll(async () => {
    helper = await startKernelHelper({ fma: false });
  });
  afterAll(() => helper.close());

  it('the seed network at full width: valueAndGrad, predict and chained steps at batch 1, 2, 9 and 64', () => {
    const net = seedNetwork({ init: 'he' }) as unknown as Layer<Tree>;
    const one = compile(net, { fma: false });
    const two = compile(net, { helper });
    const params = net.init(key(31), [28, 28, 1]);
    for (const n of [1, 2, 9, 64]) {
      const batch = { x: images(n, [28, 28, 1], 40 + n), labels: labelsOf(n, 10) };
      const [a, b] = [one.valueAndGrad(params, batch), two.valueAndGrad(params, batch)];
      expect(b.loss).toBe(a.loss);
      same(b.out.data, a.out.data);
      expectSameTree(b.grads, a.grads);
      same(two.predict(params, batch.x).data, one.predict(params, batch.x).data);
      // SGD at batch 1 updates dense1 in its backward pass (rows split); Adam splits the long leaves' update.
      for (const opt of [sgd(), adam()] as unknown as Array<Optimizer<Tree>>) {
        let [p1, s1, p2, s2] = [params, opt.init(params), params, opt.init(params)];
        for (let i = 0; i < 2; i++) {
          const [r1, r2] = [one.step(opt, p1, s1, batch, 0.01), two.step(opt, p2, s2, batch, 0.01)];
          expect(r2.loss).toBe(r1.loss);
          expectSameTree(r2.params, r1.params);
          expectSameTree(r2.state, r1.state);
          [p1, s1, p2, s2] = [r1.params, r1.state, r2.params, r2.state];
        }
      }
    }
  });

  it('random networks: the eager results bit for bit (one helper taken over by each)', () => randomNetworksMatchEager((net) => compile(net, { helper }), 40));

  it('a network whose helper another took over refuses every call, in one line', () => {
    const net = seedNetwork({ init: 'he', widths: [4, 8, 8, 12] });
    const params = net.init(key(32), [28, 28, 1]);
    const x = images(2, [28, 28, 1], 3);
    const first = compile(net, { helper });
    first.predict(params, x);
    const second = compile(net, { helper });
    expect(() => first.predict(params, x)).toThrow('compile: the kernel helper now serves another compiled network; start a helper for each');
    expect(second.predict(params, x).data).toEqual(compile(net, { fma: false }).predict(params, x).data);
  });

  it('a hand-over longer than the call buffer runs in parts, every call in order', () => {
    const f32 = () => new Float32Array(helper.memory.buffer);
    const count = 20_000; // 4 words a call: more than the 65,536 words of the buffer
    f32().fill(1, 1024, 1024 + count);
    helper.together(({ k }) => {
      for (let i = 0; i < count; i++) k.zero((1024 + i) * 4, 1);
    }, () => {});
    expect(f32().subarray(1024, 1024 + count).every((v) => v === 0)).toBe(true);
  });

  it('a batch past the shared heap\'s 1 GiB is one clear error, and the network goes on', () => {
    const net = seedNetwork({ init: 'he', widths: [4, 8, 8, 12] });
    const params = net.init(key(33), [28, 28, 1]);
    const c = compile(net, { helper });
    const n = 40_000;
    expect(() => c.predict(params, tensor([n, 28, 28, 1], new Float32Array(n * 784)))).not.toThrow();
    const huge = { x: tensor([n, 28, 28, 1], new Float32Array(n * 784)), labels: labelsOf(n, 10) };
    expect(() => c.valueAndGrad(params, huge)).toThrow(/^the kernel helper's shared heap holds at most 1024 MiB and this call needs \d+ MiB: use smaller batches, or compile without a helper$/);
    const small = { x: images(3, [28, 28, 1], 34), labels: labelsOf(3, 10) };
    expectSameTree(c.valueAndGrad(params, small).grads, compile(net, { fma: false }).valueAndGrad(params, small).grads);
  });

  it('a kernel that fails in the helper fails that call; the next one works', () => {
    const f32 = () => new Float32Array(helper.memory.buffer);
    // A product whose operands lie past the end of the heap traps in the helper thread.
    const far = helper.memory.buffer.byteLength + (1 << 24);
    expect(() => helper.together(({ k }) => k.gemmAt(false, false, 4, 4, 4, far, far, far, 4096, false), () => {})).toThrow('kernel helper: gemmAt failed in the helper thread');
    f32().fill(1, 0, 48);
    helper.together(({ k }) => k.gemmAt(false, false, 4, 4, 4, 0, 64, 128, 256, false), () => {});
    expect(Array.from(f32().subarray(32, 48))).toEqual(new Array(16).fill(4));
  });
});

describe('the kernel helper\'s port', () => {
  it('a helper that keeps the caller waiting longer than its own halves take is left alone for a while, with the same numbers', async () => {
    const slow = await startKernelHelper({ fma: false });
    try {
      const f32 = () => new Float32Array(slow.memory.buffer);
      // 32 hand-overs where the helper's half is a 128x128x128 product and the caller's is nothing.
      slow.memory.grow(4);
      f32().fill(0.5, 0, 3 * 16384);
      expect(slow.solo()).toBe(false);
      for (let i = 0; i < 32; i++) slow.together(({ k }) => k.gemmAt(false, false, 128, 128, 128, 0, 65536, 131072, 196608, false), () => {});
      expect(slow.solo()).toBe(true);
      // Meanwhile a network compiled on it runs both halves on the calling thread: one thread's numbers still.
      const net = seedNetwork({ init: 'he', widths: [4, 8, 8, 12] });
      const params = net.init(key(35), [28, 28, 1]);
      const batch = { x: images(9, [28, 28, 1], 36), labels: labelsOf(9, 10) };
      expectSameTree(compile(net, { helper: slow }).valueAndGrad(params, batch).grads, compile(net, { fma: false }).valueAndGrad(params, batch).grads);
    } finally {
      await slow.close();
    }
  });

  it('once the platform says the thread died, every call fails at once with why', () => {
    let died: (why: string) => void = () => {};
    const port = helperPort(helperInit(false), () => Promise.resolve(), (f) => (died = f));
    died('exited (code 1)');
    const t0 = performance.now();
    expect(() => port.together(({ k }) => k.zero(0, 1), () => {})).toThrow('kernel helper: the thread exited (code 1)');
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});
