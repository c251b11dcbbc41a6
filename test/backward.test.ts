// The backward pass made visible, one SGD step, and the arithmetic of one
// value, on the seed network in float64: backwardTrace's gradients are
// valueAndGrad's bit for bit, the network's closures pass checkLayerGradients,
// and every layer's dLoss/dOut matches finite differences of the loss taken
// through the rest of the network; sgdStep is one step of the library's sgd;
// every arithmetic view sums to the value the layer's own op computed.

import { describe, expect, it } from 'vitest';
import { key, uniform } from '../src/core/random.ts';
import { astype, tensor, type Tensor } from '../src/core/tensor.ts';
import {
  backwardTrace, checkLayerGradients, crossEntropyLoss, explainGradient, explainLoss, explainParamGradient, explainValue,
  leaves, mapTree, type Layer, type Tree, MNIST_SHAPE, seedNetwork, sgd, sgdStep, valueAndGrad,
} from '../src/graph/index.ts';
import { jsKernels } from '../src/ops/kernels/index.ts';
import { same } from './helpers.ts';

const kernels = jsKernels;
const net = seedNetwork();
const params = mapTree(net.init(key(4), MNIST_SHAPE), (t) => astype(t, 'float64'));
// Biases are zero at init; small random ones make the bias arithmetic show something.
const withBiases = mapTree(params, (t, path) => (path.endsWith('.b') ? tensor(t.shape, Float64Array.from(uniform(key(path.length), t.data.length), (u) => 0.1 * (u - 0.5))) : t));
const x = tensor([1, 28, 28, 1], Float64Array.from(uniform(key(5), 784)));
const label = 3;
const names = Object.keys(net.layers);

describe('backwardTrace', () => {
  const b = backwardTrace(net, withBiases, x, [label], { kernels });

  it('gives valueAndGrad\'s loss and gradients, bit for bit, and the layers in order', () => {
    const vg = valueAndGrad(net, { kernels })(withBiases, { x, labels: [label] });
    expect(b.loss).toBe(vg.loss);
    const mine = new Map(leaves(b.grads));
    for (const [path, g] of leaves(vg.grads)) same(mine.get(path)!.data, g.data);
    expect(b.layers.map((l) => l.name)).toEqual(names);
    same(b.dLogits.data, b.layers.at(-1)!.dOut.data);
    // softmax - one-hot
    b.probabilities.data.forEach((p, c) => expect(b.dLogits.data[c]).toBeCloseTo(p - (c === label ? 1 : 0), 12));
  });

  it('runs closures that pass the whole-network gradient check (float64)', () => {
    const r = checkLayerGradients(net, withBiases, x, { maxEntries: 4 });
    expect(r.ok, r.message).toBe(true);
    expect(r.checked).toBe(44);
  });

  it.each(names)('gives dLoss/dOut of %s equal to finite differences of the loss through the rest of the network', (name) => {
    const k = names.indexOf(name);
    const l = b.layers[k]!;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const rest = Object.entries(net.layers as Record<string, Layer<any>>).slice(k + 1);
    const lossAt = (h0: Tensor): number => {
      let h = h0;
      for (const [n, layer] of rest) h = layer.apply((withBiases as unknown as Record<string, Tree | undefined>)[n] ?? {}, h, { kernels }).out;
      return crossEntropyLoss(h, [label], { kernels }).out;
    };
    // Entries away from a kink: a zero after ReLU may tie in the next pool window, where the slope has no single value.
    const picks = Array.from(l.out.data.keys()).filter((i) => Math.abs(l.out.data[i]!) > 1e-3);
    const step = Math.max(1, Math.floor(picks.length / 6));
    let slopes = 0;
    // Spread entries, and the three with the largest slopes (most entries before a ReLU or a pool get none).
    const steepest = [...picks].sort((a, c) => Math.abs(l.dOut.data[c]!) - Math.abs(l.dOut.data[a]!)).slice(0, 3);
    for (const i of [...picks.filter((_, j) => j % step === 0).slice(0, 6), ...steepest]) {
      const probe = (eps: number): number => {
        const d = Float64Array.from(l.out.data);
        d[i]! += eps;
        return lossAt(tensor(l.out.shape, d));
      };
      const numeric = (probe(1e-6) - probe(-1e-6)) / 2e-6;
      expect(Math.abs(l.dOut.data[i]! - numeric), `${name}[${i}]`).toBeLessThanOrEqual(1e-8 + 1e-5 * Math.abs(numeric));
      if (numeric !== 0) slopes++;
    }
    expect(slopes).toBeGreaterThan(0);
  });
});

describe('sgdStep', () => {
  it('is one step of the library\'s sgd along valueAndGrad\'s gradient, and lowers this image\'s loss', () => {
    const s = sgdStep(net, withBiases, { x, labels: [label] }, 0.01, { kernels });
    const vg = valueAndGrad(net, { kernels })(withBiases, { x, labels: [label] });
    const want = sgd().step(withBiases, vg.grads, {}, { lr: 0.01, kernels }).params;
    const got = new Map(leaves(s.params)), upd = new Map(leaves(s.update)), old = new Map(leaves(withBiases));
    for (const [path, w] of leaves(want)) {
      same(got.get(path)!.data, w.data);
      upd.get(path)!.data.forEach((u, i) => expect(u).toBe(w.data[i]! - old.get(path)!.data[i]!));
    }
    expect(s.before.loss).toBe(vg.loss);
    expect(s.after.loss).toBeLessThan(s.before.loss);
    expect(s.after.loss).toBe(crossEntropyLoss(net.apply(s.params, x, { kernels }).out, [label]).out);
  });
});

describe('the arithmetic of one value', () => {
  const b = backwardTrace(net, withBiases, x, [label], { kernels });
  const p = withBiases as unknown as Record<string, Tree | undefined>;
  /** The index of flat offset f in a row-major array of `shape`. */
  const indexOf = (shape: readonly number[], f: number): number[] => {
    const at: number[] = [];
    for (let i = shape.length - 1; i >= 0; i--) {
      at.unshift(f % shape[i]!);
      f = Math.floor(f / shape[i]!);
    }
    return at;
  };
  // A few indices of each layer's output: the first, the last and some between.
  const samples = (shape: readonly number[]): number[][] => {
    const size = shape.reduce((a, c) => a * c, 1);
    return [0, 1, 7, Math.floor(size / 3), Math.floor(size / 2) + 5, size - 1].map((f) => indexOf(shape, f));
  };
  const close = (a: number, b: number): void => expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(b)));

  it.each(names)('of %s\'s output sums to the value its op computed', (name) => {
    const l = b.layers[names.indexOf(name)]!;
    const layer = net.layers[name as keyof typeof net.layers];
    for (const at of samples(l.out.shape)) {
      const a = explainValue(layer, p[name] ?? {}, l.input, l.out, at);
      if (a.kind === 'sum') {
        close(a.sum + (a.plus ?? 0), a.value);
        expect(a.terms.length).toBe(name.startsWith('conv') ? 9 * l.input.shape[3]! : l.input.shape[1]!);
      } else if (a.kind === 'add') close(a.input + a.bias!, a.value);
      else if (a.kind === 'relu') expect(Math.max(0, a.input)).toBe(a.value);
      else if (a.kind === 'window') {
        expect(a.cells[a.winner]!.value).toBe(a.value);
        expect(Math.max(...a.cells.map((c) => c.value))).toBe(a.value);
      } else expect(l.input.data[a.from.reduce((o, v, i) => o * l.input.shape[i]! + v, 0)]).toBe(a.value);
    }
  });

  it.each(names)('of dLoss/dIn of %s sums to the value its backward computed', (name) => {
    const l = b.layers[names.indexOf(name)]!;
    const layer = net.layers[name as keyof typeof net.layers];
    // Where the gradient is not zero too: the largest entry.
    let top = 0;
    l.dIn.data.forEach((v, i) => { if (Math.abs(v) > Math.abs(l.dIn.data[top]!)) top = i; });
    const ats = [...samples(l.dIn.shape), indexOf(l.dIn.shape, top)];
    let nonzero = 0;
    for (const at of ats) {
      const a = explainGradient(layer, p[name] ?? {}, l.input, l.dOut, l.dIn, at);
      if (a.value !== 0) nonzero++;
      if (a.kind === 'sum') close(a.sum, a.value);
      else if (a.kind === 'add') expect(a.input).toBe(a.value);
      else if (a.kind === 'relu') expect(a.passed === 1 ? a.input : 0).toBe(a.value);
      else if (a.kind === 'copy') expect(l.dOut.data[a.from[1]!]).toBe(a.value);
    }
    expect(nonzero).toBeGreaterThan(0);
  });

  it.each(names.filter((n) => /^(conv|add|dense)/.test(n)))('of dLoss/dParams of %s sums to the gradient its backward computed', (name) => {
    const l = b.layers[names.indexOf(name)]!;
    const layer = net.layers[name as keyof typeof net.layers];
    let nonzero = 0;
    for (const [leaf, g] of Object.entries(l.dParams as Record<string, Tensor>)) {
      let top = 0;
      g.data.forEach((v, i) => { if (Math.abs(v) > Math.abs(g.data[top]!)) top = i; });
      for (const at of [...samples(g.shape), indexOf(g.shape, top)]) {
        const a = explainParamGradient(layer, l.input, l.dOut, l.dParams, leaf, at);
        if (a.kind !== 'sum') throw new Error(`${name}.${leaf}: not a sum`);
        close(a.sum, a.value);
        if (a.value !== 0) nonzero++;
      }
    }
    expect(nonzero).toBeGreaterThan(0);
  });

  it('of the loss: softmax of the logits, and -log of the label\'s probability', () => {
    const a = explainLoss(b.logits, 0, label);
    close(a.loss, b.loss);
    a.probabilities.forEach((q, c) => close(q, b.probabilities.data[c]!));
    a.dLogits.forEach((d, c) => close(d, b.dLogits.data[c]!));
    expect(() => explainLoss(b.logits, 0, 10)).toThrow(/label 10/);
  });

  it('refuses an index outside the output', () => {
    const l = b.layers[0]!;
    expect(() => explainValue(net.layers.conv1, withBiases.conv1, l.input, l.out, [0, 28, 0, 0])).toThrow(/outside the shape/);
  });
});
