// What a JavaScript caller can get wrong, at the public API: each function
// answers a wrong argument with one ArgumentError (or ShapeError) whose
// message names the function and the argument, never a TypeError or a
// RangeError from deep inside the library, and never a NaN result. First the
// cases seen in the wild, then a property that drives the entry points with
// wrong values of every kind.
//
// The property can fail: with the batch-size check of fit removed
// (`positiveInt('fit', 'batchSize', ...)` in src/training/loop.ts), its
// 4000 runs find `fit` given an object for batchSize and fail on the
// runtime's "TypeError: Cannot convert object to primitive value" (tried
// once when the test was written). Before the checks it drove were complete
// it found, among others, a record holding a string (endless recursion in
// the tree walk), `split(key, 1e12)` ("Invalid array length"), a loss of the
// caller's own returning a number, and a learning rate of 1e300 (Infinity
// in float32: NaN parameters).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  adam, compile, constant, crossEntropyLoss, evaluate, fit, fromArray, initialState, jsKernels, key, layers, meanSquaredError,
  momentum, normal, ops, permutation, predict, reshape, serial, ShapeError, split, stepDecay, take, tensor, valueAndGrad,
  warmupCosine, workerGradients, zeros, affine, strokes, type Images, type Layer, type Optimizer, type Schedule, type Tensor, type Tree,
} from '../src/index.ts';
import { ArgumentError } from '../src/core/check.ts';
import { parallelGradients } from '../src/node.ts';
import { fuzzParameters, fuzzTimeout } from './fuzz-helpers.ts';

const { padAll } = ops;

const images = (count: number): Images => ({
  count, rows: 4, cols: 4,
  pixels: Uint8Array.from({ length: count * 16 }, (_, i) => (i * 37) % 256),
  labels: Uint8Array.from({ length: count }, (_, i) => i % 3),
});
const net = serial({ conv: layers.conv({ filters: 2, size: 3, pad: padAll(1) }), act: layers.relu(), flat: layers.flatten(), fc: layers.dense({ units: 3 }) });
const params = net.init(key(0), [4, 4, 1]);
const x = fromArray([2, 4, 4, 1], Array.from({ length: 32 }, (_, i) => (i % 7) / 7));
const labels = [0, 2];
const kernels = jsKernels;
const setup = { net, optimizer: adam(), schedule: constant(1e-3), epochs: 1, batchSize: 2, shuffle: false, seed: 0, kernels, train: images(4), test: images(2) };

/** What the call threw: its name and message, or undefined when it returned. */
const thrown = async (f: () => unknown): Promise<Error | undefined> => {
  try {
    await f();
    return undefined;
  } catch (err) {
    return err as Error;
  }
};

/** Expects `f` to throw an ArgumentError (or ShapeError) with exactly this message. */
const refuses = async (f: () => unknown, message: string): Promise<void> => {
  const err = await thrown(f);
  expect(err, message).toBeInstanceOf(ArgumentError);
  expect(err!.message).toBe(message);
};

describe('the cases seen from plain JavaScript', () => {
  it('fit: a batch size that is not a positive integer, before any step', async () => {
    const start = initialState(params, setup.optimizer);
    await refuses(() => fit({ ...setup, batchSize: 0 }, start), 'fit: batchSize must be a positive integer, got 0');
    await refuses(() => fit({ ...setup, batchSize: -5 }, start), 'fit: batchSize must be a positive integer, got -5');
    await refuses(() => fit({ ...setup, batchSize: 2.5 }, start), 'fit: batchSize must be a positive integer, got 2.5');
    await refuses(() => fit({ ...setup, epochs: 1.5 }, start), 'fit: epochs must be a positive integer, got 1.5');
    expect((await fit(setup, start)).status).toBe('finished');
  });

  it('a missing options bag, a number where it goes, and no kernel set are refused by name', async () => {
    await refuses(() => (valueAndGrad as (n: unknown) => unknown)(net), 'valueAndGrad: options must be an object ({ kernels, loss? }), got undefined');
    await refuses(() => valueAndGrad(net, {} as never), 'valueAndGrad: options.kernels is missing: pass a kernel set (createWasmKernels(), jsKernels or kernelsByName(name)); none is picked silently');
    const opt = adam();
    await refuses(() => opt.step(params, params, opt.init(params), 0.01 as never), 'adam.step: options must be an object ({ lr, kernels }), got 0.01');
    await refuses(() => opt.step(params, params, opt.init(params), { lr: 0.01 } as never), 'adam.step: options.kernels is missing: pass a kernel set (createWasmKernels(), jsKernels or kernelsByName(name)); none is picked silently');
    await refuses(() => (net.apply as (p: unknown, x: unknown) => unknown)(params, x), 'serial.apply: options must be an object ({ kernels }), got undefined');
    await refuses(() => predict(net, params, x, {} as never), 'predict: options.kernels is missing: pass a kernel set (createWasmKernels(), jsKernels or kernelsByName(name)); none is picked silently');
    await refuses(() => fit({ ...setup, kernels: undefined } as never, initialState(params, setup.optimizer)), 'fit: setup.kernels (or a setup.source) is missing: pass a kernel set (createWasmKernels(), jsKernels or kernelsByName(name)); none is picked silently');
    await refuses(() => evaluate(net, params, images(2), {} as never), 'evaluate: options.kernels is missing: pass a kernel set (createWasmKernels(), jsKernels or kernelsByName(name)); none is picked silently');
    await refuses(() => (layers.dense as (s: unknown) => unknown)(3), 'layers.dense: its argument must be an object ({ units, init? }), got 3');
    await refuses(() => (adam as (o: unknown) => unknown)(0.01), 'adam: options must be an object ({ beta1?, beta2?, eps? }), got 0.01');
  });

  it('parameters of another network: eager and compiled refuse them with the same words', async () => {
    const wide = serial({ conv: layers.conv({ filters: 2, size: 3, pad: padAll(1) }), act: layers.relu(), flat: layers.flatten(), fc: layers.dense({ units: 5 }) }).init(key(0), [4, 4, 1]);
    const message = 'layer fc: parameter w is [32, 5]; the network needs [32, 3] here';
    await refuses(() => predict(net, wide, x, { kernels }), message);
    await refuses(() => compile(net).predict(wide, x), message);
    await refuses(() => valueAndGrad(net, { kernels })(wide, { x, labels }), message);
    await refuses(() => compile(net).valueAndGrad(wide, { x, labels }), message);
    const err = await thrown(() => predict(net, wide, x, { kernels }));
    expect(err).toBeInstanceOf(ShapeError);
    expect((err as ShapeError).layerPath).toEqual(['fc']);
    await refuses(() => predict(net, { ...params, conv: {} } as never, x, { kernels }), 'layer conv: the parameter record has no tensor "w"; make it with the network\'s init');
    const { conv: _, ...noConv } = params;
    await refuses(() => predict(net, noConv as never, x, { kernels }), 'serial: the parameter record has no "conv" (it has act, flat, fc); make it with the network\'s init');
  });

  it('shapes that are not non-negative integers, sizes that are not positive, tensors too large to allocate', async () => {
    await refuses(() => tensor([1.5, 2], new Float32Array(3)), 'tensor: shape must be an array of non-negative integers, got [1.5, 2]');
    await refuses(() => tensor([-1, 3], new Float32Array(3)), 'tensor: shape must be an array of non-negative integers, got [-1, 3]');
    await refuses(() => tensor([3], [1, 2, 3] as never), 'tensor: data must be a Float32Array or a Float64Array, got [1, 2, 3]');
    await refuses(() => reshape(zeros([2, 3]), [6.5]), 'reshape: shape must be an array of non-negative integers, got [6.5]');
    const big = await thrown(() => zeros([1e6, 1e6]));
    expect(big).toBeInstanceOf(ArgumentError);
    expect(big!.message).toMatch(/^zeros: a float32 tensor of shape \[1000000, 1000000\] \(1000000000000 values, 3\.64 TiB\) is too large to allocate: /);
    const init = await thrown(() => layers.dense({ units: 1e6 }).init(key(0), [1e6]));
    expect(init!.message).toMatch(/^init: weights of shape \[1000000, 1000000\] \(1000000000000 values, 7\.28 TiB\) is too large to allocate: /);
    await refuses(() => layers.dense({ units: -3 }), 'layers.dense: units must be a positive integer, got -3');
    await refuses(() => layers.conv({ filters: 0, size: 3 }), 'layers.conv: filters must be a positive integer, got 0');
    await refuses(() => layers.conv({ filters: 2, size: 3, pad: 1 as never }), 'layers.conv: pad must be an object ({ top, bottom, left, right }, as padAll(p) makes), got 1');
    await refuses(() => layers.maxPool({ size: 2, stride: 0 }), 'layers.maxPool: stride must be a positive integer, got 0');
    await refuses(() => net.init(key(0), [4, -4, 1]), 'serial.init: inShape must be an array of non-negative integers, got [4, -4, 1]');
    await refuses(() => normal(key(0), -1), 'normal: n must be a non-negative integer, got -1');
  });

  it('a batch of no examples and labels that are not classes', async () => {
    const vg = valueAndGrad(net, { kernels });
    await refuses(() => vg(params, { x: zeros([0, 4, 4, 1]), labels: [] }), 'valueAndGrad: the batch holds no examples (x is [0, 4, 4, 1])');
    await refuses(() => compile(net).valueAndGrad(params, { x: zeros([0, 4, 4, 1]), labels: [] }), 'compiled.valueAndGrad: the batch holds no examples (x is [0, 4, 4, 1])');
    await refuses(() => crossEntropyLoss(zeros([0, 3]), []), 'softmaxCrossEntropy: the batch holds no examples (input [0, 3])');
    await refuses(() => meanSquaredError(zeros([0, 3]), zeros([0, 3])), 'meanSquaredError: the batch holds no examples (out is [0, 3])');
    await refuses(() => vg(params, { x, labels: [0, 3] }), 'softmaxCrossEntropy: label 3 is not a class of input [2, 3]');
    await refuses(() => vg(params, { x, labels: [0, 1.5] }), 'softmaxCrossEntropy: label 1.5 is not a class of input [2, 3]');
    await refuses(() => evaluate(net, params, images(0), { kernels }), 'evaluate: the set holds no images (data.count is 0)');
  });

  it('augmentations: their spec is an object of finite numbers', async () => {
    await refuses(() => affine(2 as never), 'affine: spec must be an object ({ shift?, rotate?, scale?, shear? }), got 2');
    await refuses(() => affine({ rotate: Number.NaN }), 'affine: spec.rotate must be a finite number, got NaN');
    await refuses(() => strokes({ thin: '0.2' as never }), 'strokes: spec.thin must be a finite number, got "0.2"');
  });

  it('workers: a network, a kernel set, a thread count and a way to start them, each by name, before any worker starts', async () => {
    const seed = { kind: 'seed', init: 'he' } as const;
    const spawn = () => { throw new Error('no worker may start'); };
    await refuses(() => parallelGradients(params, 2 as never), 'parallelGradients: options must be an object ({ network, kernels, threads }), got 2');
    await refuses(() => parallelGradients(params, { network: seed, kernels: 'gpu' as never, threads: 2 }), "parallelGradients: options.kernels must be 'wasm' or 'wasm-winograd' or 'js' or 'reference', got \"gpu\"");
    await refuses(() => parallelGradients(params, { network: seed, kernels: 'wasm', threads: 0 }), 'parallelGradients: options.threads must be a positive integer, got 0');
    await refuses(() => parallelGradients(params, { network: { kind: 'remote' } as never, kernels: 'wasm', threads: 2 }), "parallelGradients: options.network.kind must be 'seed' or 'module', got \"remote\"");
    await refuses(() => workerGradients(params, { network: seed, kernels: 'wasm', threads: 2, spawn: 'spawn' as never }), 'workerGradients: options.spawn must be a function, got "spawn"');
    await refuses(() => workerGradients(params, { network: seed, kernels: 'wasm', threads: 1.5, spawn }), 'workerGradients: options.threads must be a positive integer, got 1.5');
  });
});

// Wrong values of every kind; no number here allocates much when a slot takes it (an array of small integers is a valid shape).
const wrong: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    undefined, null, NaN, Infinity, -Infinity, -1, -5, 0, 0.01, 2.5, 1e12, 2 ** 53, 1e300, 3n, '3', 'adam', true, Symbol('s'),
    {}, [], [1.5, 2], [-1, 3], [1e6, 1e6], [2 ** 40, 2 ** 40], [NaN], () => 1, new Float32Array(2), { kernels: {} }, { lr: NaN },
  ),
  fc.integer({ min: -10, max: 10 }),
  fc.double({ min: -10, max: 10 }),
  fc.string({ maxLength: 3 }),
  fc.array(fc.integer({ min: -3, max: 6 }), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom('x', 'kernels', 'lr', 'units', 'size', 'count'), fc.constantFrom<unknown>(0, -1, 2.5, null, 'a', {}), { maxKeys: 2 }),
);

const compiled = compile(net);
const opt = momentum();
const state = opt.init(params);
const vg = valueAndGrad(net, { kernels });
const call = (f: (...args: never[]) => unknown) => f as (...args: unknown[]) => unknown;
// What a constructor made, used: a layer initialised and run, an optimizer stepped, a schedule read, so that what it accepted must also work.
const run = (layer: unknown, inShape: number[]) => {
  const l = layer as Layer<Tree>;
  return l.apply(l.init(key(0), inShape), zeros([1, ...inShape]), { kernels }).out;
};
const stepOf = (o: Optimizer<Tree>) => o.step(params, params, o.init(params), { lr: 0.1, kernels });
const sampled = (s: Schedule) => [s(0), s(1.5), s(7)];

/** The public entry points, each with one argument replaced by `v`: name and call. */
const entries: ReadonlyArray<readonly [string, (v: unknown) => unknown]> = [
  ['tensor shape', (v) => call(tensor)(v, new Float32Array(2))],
  ['tensor data', (v) => call(tensor)([2], v)],
  ['zeros shape', (v) => call(zeros)(v)],
  ['zeros dtype', (v) => call(zeros)([2], v)],
  ['fromArray shape', (v) => call(fromArray)(v, [1, 2])],
  ['fromArray values', (v) => call(fromArray)([2], v)],
  ['reshape', (v) => call(reshape)(zeros([2, 2]), v)],
  ['key', (v) => call(key)(v)],
  ['split', (v) => call(split)(key(0), v)],
  ['normal', (v) => call(normal)(key(0), v)],
  ['permutation', (v) => call(permutation)(v, 3)],
  ['layers.dense', (v) => run(call(layers.dense)(v), [3])],
  ['layers.dense units', (v) => run(layers.dense({ units: v as number }), [3])],
  ['layers.dense init', (v) => run(layers.dense({ units: 2, init: v as 'he' }), [3])],
  ['layers.conv filters', (v) => run(layers.conv({ filters: v as number, size: 3 }), [4, 4, 1])],
  ['layers.conv size', (v) => run(layers.conv({ filters: 2, size: v as number }), [4, 4, 1])],
  ['layers.conv stride', (v) => run(layers.conv({ filters: 2, size: 3, stride: v as number }), [4, 4, 1])],
  ['layers.conv pad', (v) => run(layers.conv({ filters: 2, size: 3, pad: v as never }), [4, 4, 1])],
  ['layers.maxPool', (v) => run(call(layers.maxPool)(v), [4, 4, 1])],
  ['layers.maxPool size', (v) => run(layers.maxPool({ size: v as number }), [4, 4, 1])],
  ['init key', (v) => call(net.init)(v, [4, 4, 1])],
  ['init shape', (v) => call(net.init)(key(0), v)],
  ['describe shape', (v) => call(net.describe)(v, '')],
  ['apply params', (v) => call(net.apply)(v, x, { kernels })],
  ['apply x', (v) => call(net.apply)(params, v, { kernels })],
  ['apply options', (v) => call(net.apply)(params, x, v)],
  ['apply kernels', (v) => net.apply(params, x, { kernels: v as never })],
  ['layer apply', (v) => call(layers.dense({ units: 2 }).apply)(v, zeros([1, 3]), { kernels })],
  ['valueAndGrad net', (v) => (call(valueAndGrad)(v, { kernels }) as typeof vg)(params, { x, labels })],
  ['valueAndGrad options', (v) => (call(valueAndGrad)(net, v) as typeof vg)(params, { x, labels })],
  ['valueAndGrad kernels', (v) => valueAndGrad(net, { kernels: v as never })(params, { x, labels })],
  ['valueAndGrad loss', (v) => valueAndGrad(net, { kernels, loss: v as never })(params, { x, labels })],
  ['valueAndGrad batch', (v) => call(vg)(params, v)],
  ['valueAndGrad x', (v) => vg(params, { x: v as Tensor, labels })],
  ['valueAndGrad labels', (v) => vg(params, { x, labels: v as number[] })],
  ['valueAndGrad params', (v) => call(vg)(v, { x, labels })],
  ['predict params', (v) => call(predict)(net, v, x, { kernels })],
  ['predict options', (v) => call(predict)(net, params, x, v)],
  ['adam', (v) => stepOf(call(adam)(v) as Optimizer<Tree>)],
  ['momentum', (v) => stepOf(call(momentum)(v) as Optimizer<Tree>)],
  ['step options', (v) => call(opt.step)(params, params, state, v)],
  ['step lr', (v) => opt.step(params, params, state, { lr: v as number, kernels })],
  ['step kernels', (v) => opt.step(params, params, state, { lr: 0.1, kernels: v as never })],
  ['step state', (v) => call(opt.step)(params, params, v, { lr: 0.1, kernels })],
  ['step grads', (v) => call(opt.step)(params, v, state, { lr: 0.1, kernels })],
  ['constant', (v) => sampled(call(constant)(v) as Schedule)],
  ['stepDecay', (v) => sampled(call(stepDecay)(1, 0.5, v) as Schedule)],
  ['warmupCosine', (v) => sampled(call(warmupCosine)(v) as Schedule)],
  ['fit setup', (v) => call(fit)(v, initialState(params, setup.optimizer))],
  ['fit batchSize', (v) => fit({ ...setup, batchSize: v as number }, initialState(params, setup.optimizer))],
  ['fit kernels', (v) => fit({ ...setup, kernels: v as never }, initialState(params, setup.optimizer))],
  ['fit train', (v) => fit({ ...setup, train: v as Images }, initialState(params, setup.optimizer))],
  ['fit test', (v) => fit({ ...setup, test: v as Images }, initialState(params, setup.optimizer))],
  ['fit seed', (v) => fit({ ...setup, seed: v as number }, initialState(params, setup.optimizer))],
  ['fit shuffle', (v) => fit({ ...setup, shuffle: v as boolean }, initialState(params, setup.optimizer))],
  ['fit start', (v) => call(fit)(setup, v)],
  ['evaluate data', (v) => call(evaluate)(net, params, v, { kernels })],
  ['evaluate options', (v) => call(evaluate)(net, params, images(2), v)],
  ['evaluate batchSize', (v) => evaluate(net, params, images(2), { kernels, batchSize: v as number })],
  ['take', (v) => call(take)(images(3), v)],
  ['compile net', (v) => (call(compile)(v) as typeof compiled).predict(params, x)],
  ['compile options', (v) => (call(compile)(net, v) as typeof compiled).predict(params, x)],
  ['compiled predict x', (v) => call(compiled.predict)(params, v)],
  ['compiled predict params', (v) => call(compiled.predict)(v, x)],
  ['compiled valueAndGrad batch', (v) => call(compiled.valueAndGrad)(params, v)],
  ['compiled step lr', (v) => compiled.step(opt, params, state, { x, labels }, v as number)],
  ['compiled step state', (v) => call(compiled.step)(opt, params, v, { x, labels }, 0.1)],
  ['crossEntropyLoss logits', (v) => call(crossEntropyLoss)(v, labels)],
  ['crossEntropyLoss labels', (v) => call(crossEntropyLoss)(zeros([2, 3]), v)],
  ['meanSquaredError targets', (v) => call(meanSquaredError)(zeros([2, 3]), v)],
  ['ops.relu x', (v) => call(ops.relu)(v)],
  ['ops.relu options', (v) => call(ops.relu)(x, v)],
  ['ops.dense b', (v) => call(ops.dense)(zeros([1, 2]), zeros([2, 3]), v)],
  ['ops.conv2d options', (v) => call(ops.conv2d)(x, zeros([3, 3, 1, 2]), v)],
  ['ops.maxPool2d options', (v) => call(ops.maxPool2d)(x, v)],
  ['ops.softmax x', (v) => call(ops.softmax)(v)],
];

/** A NaN anywhere in what a call returned: numbers, tensors' data, records (a few levels down). */
const hasNaN = (v: unknown, depth = 0): boolean => {
  if (typeof v === 'number') return Number.isNaN(v);
  if (v instanceof Float32Array || v instanceof Float64Array) return v.some(Number.isNaN);
  if (depth > 6 || typeof v !== 'object' || v === null || ArrayBuffer.isView(v)) return false;
  return Object.values(v).some((e) => hasNaN(e, depth + 1));
};

// A message that names where it comes from (`fit: batchSize ...`), or the parameter it is about (`layer fc: parameter w is ...`).
const NAMED = /^(layer [\w.]+: )?([\w.]+( [\w.]+)?: \S|parameter \w+ is |the parameter record has no )/;

describe('wrong arguments at every entry point', () => {
  const RUNS = 4000;
  it(`answer with one named ArgumentError, never an error from inside or a NaN (${fuzzParameters(RUNS).numRuns} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: entries.length - 1 }), wrong, async (i, v) => {
        const [name, f] = entries[i]!;
        let result: unknown;
        try {
          result = await f(v);
        } catch (err) {
          const e = err as Error;
          expect(e, `${name} given ${fc.stringify(v)}: ${String(e?.name)}: ${String(e?.message)}`).toBeInstanceOf(ArgumentError);
          expect(e.message, `${name} given ${fc.stringify(v)}`).toMatch(NAMED);
          return;
        }
        expect(hasNaN(result), `${name} accepted ${fc.stringify(v)} and returned a NaN`).toBe(false);
        if (typeof result === 'object' && result !== null && 'status' in result) expect((result as { status: string }).status, name).not.toBe('diverged');
      }),
      fuzzParameters(RUNS),
    );
  }, fuzzTimeout(RUNS, 20));

  it('every entry point takes its valid argument (the property is not vacuous)', async () => {
    // One good value per entry, in order: each call must return without throwing.
    const good: unknown[] = [
      [2], new Float32Array(2), [2], 'float64', [2], [1, 2], [4], 1, 2, 3, key(0),
      { units: 2 }, 2, 'he', 2, 3, 1, padAll(1), { size: 2 }, 2,
      key(1), [4, 4, 1], [4, 4, 1], params, x, { kernels }, kernels, { w: zeros([3, 2]), b: zeros([2]) },
      net, { kernels }, kernels, crossEntropyLoss, { x, labels }, x, labels, params, params, { kernels },
      {}, {}, { lr: 0.1, kernels }, 0.1, kernels, state, params,
      0.1, 2, { max: 1, init: 0, final: 0, warmup: 1, decay: 2 },
      setup, 2, kernels, images(4), images(2), 3, true, initialState(params, setup.optimizer),
      images(2), { kernels }, 1, 2, net, {}, x, params, { x, labels }, 0.1, state,
      zeros([2, 3]), labels, zeros([2, 3]), x, { kernels }, zeros([3]), { pad: padAll(1) }, { size: 2 }, zeros([2, 3]),
    ];
    expect(good.length).toBe(entries.length);
    for (const [i, [name, f]] of entries.entries()) {
      const err = await thrown(() => f(good[i]));
      expect(err, `${name}: ${String(err?.message)}`).toBeUndefined();
    }
  }, 60_000);
});
