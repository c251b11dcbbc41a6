// ONNX export against onnxruntime-web (WASM, one thread, in this process):
// the shipped weights give the project's own logits on all 10,000 MNIST test
// images; networks of every library layer (nested, tied biases, strided and
// padded windows, an image-shaped output) give their own outputs; a layer the
// library did not make is refused by name; the CLI writes the same bytes.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { ortLogits, ortSession } from '../bench/onnxruntime.ts';
import { key, uniform } from '../src/core/random.ts';
import { tensor, type Shape } from '../src/core/tensor.ts';
import { encodeOnnx } from '../src/formats/onnx.ts';
import { concat, intField, varint } from '../src/formats/protobuf.ts';
import { layers, mapTree, MNIST_SHAPE, predict, seedNetwork, serial, type Layer, type Tree } from '../src/graph/index.ts';
import { padAll } from '../src/ops/conv2d.ts';
import { jsKernels } from '../src/ops/kernels/index.ts';
import { compile } from '../src/compile/compile.ts';
import { defaultMnistDir, loadSplit } from '../src/platform/mnist.ts';
import { decodeWeights } from '../src/program/recipe/weights.ts';
import { parseCommand } from '../src/program/flags.ts';
import { cli, tempDir } from './cli-run.ts';

const MODEL = 'models/default.safetensors';

const weights = () => {
  const w = decodeWeights(new Uint8Array(readFileSync(MODEL)));
  if (E.isLeft(w)) throw new Error(w.left);
  return w.right;
};

const encoded = <P extends Tree>(net: Layer<P>, params: P, inShape: Shape = MNIST_SHAPE): Uint8Array => {
  const m = encodeOnnx(net, params, { inShape });
  if (E.isLeft(m)) throw new Error(m.left);
  return m.right;
};

/** Every parameter replaced by seeded noise in [-0.5, 0.5): zero biases would hide a bias laid out wrong. */
const noisy = <T extends Tree>(t: T, seed = 11): T => {
  let s = seed;
  return mapTree(t, (u) => tensor(u.shape, Float32Array.from(uniform(key(s++), u.data.length), (v) => v - 0.5)));
};

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
};

const argmaxRows = (x: ArrayLike<number>, cols: number): number[] =>
  Array.from({ length: x.length / cols }, (_, r) => {
    let best = 0;
    for (let c = 1; c < cols; c++) if (x[r * cols + c]! > x[r * cols + best]!) best = c;
    return best;
  });

describe('protobuf writer', () => {
  it('writes varints as the wire format defines them', () => {
    expect([...varint(0)]).toEqual([0]);
    expect([...varint(300)]).toEqual([0xac, 0x02]);
    expect([...varint(2 ** 40)]).toEqual([0x80, 0x80, 0x80, 0x80, 0x80, 0x20]);
    expect([...varint(-1)]).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect([...concat([intField(1, 150), intField(2, 1)])]).toEqual([0x08, 0x96, 0x01, 0x10, 0x01]);
    expect(() => varint(0.5)).toThrow(/not a safe integer/);
  });
});

describe('ONNX export against onnxruntime-web', () => {
  it('gives the project\'s own logits on the 10,000 MNIST test images: every argmax equal, logits within 1e-4', async () => {
    const net = seedNetwork({ init: 'he' });
    const params = weights();
    const session = await ortSession(encoded(net, params), 1);
    const split = await loadSplit(defaultMnistDir(), 'test')();
    if (E.isLeft(split)) throw new Error(split.left.message);
    const { count, pixels, labels } = split.right;
    expect(count).toBe(10_000);
    // The compiled network, as evaluate runs it: the eager WASM ops' numbers bit for bit (test/compile.test.ts), in a fraction of the time.
    const compiled = compile(net);
    let worst = 0, agree = 0, right = 0;
    for (let start = 0; start < count; start += 250) {
      const n = Math.min(250, count - start);
      const x = Float32Array.from(pixels.subarray(start * 784, (start + n) * 784), (v) => v / 255);
      const ours = compiled.predict(params, tensor([n, ...MNIST_SHAPE], x));
      const theirs = await ortLogits(session, x, n);
      worst = Math.max(worst, maxAbsDiff(theirs, ours.data));
      const [a, b] = [argmaxRows(ours.data, 10), argmaxRows(theirs, 10)];
      agree += a.filter((p, i) => p === b[i]).length;
      right += b.filter((p, i) => p === labels[start + i]).length;
    }
    await session.release();
    expect(agree).toBe(count);
    expect(worst).toBeLessThan(1e-4);
    expect(right / count).toBeGreaterThan(0.99);
  }, 180_000);

  // One session per network; each runs in this process on the thread count the first one fixed.
  const agreesOn = async <P extends Tree>(net: Layer<P>, params: P, inShape: Shape, n = 3, top = 1): Promise<number> => {
    const session = await ortSession(encoded(net, params, inShape), 1);
    // Inputs in [-1, top): with top <= 0, all negative.
    const x = Float32Array.from(uniform(key(5), n * inShape.reduce((a, b) => a * b, 1)), (v) => -1 + (top + 1) * v);
    const input = new (await import('onnxruntime-web')).Tensor('float32', x, [n, ...inShape]);
    const out = await session.run({ input });
    const theirs = out.output!.data as Float32Array;
    const ours = predict(net, params, tensor([n, ...inShape], x), { kernels: jsKernels });
    expect([...out.output!.dims]).toEqual([...ours.shape]);
    await session.release();
    return maxAbsDiff(theirs, ours.data);
  };

  it('writes every library layer: nested serials, tied and untied biases, strided and padded windows, pools padded with -Infinity or a value', async () => {
    const net = serial({
      stem: serial({
        conv: layers.conv({ filters: 5, size: 3, stride: 2, pad: { top: 1, bottom: 0, left: 2, right: 1 } }),
        b: layers.bias(),
        act: layers.relu(),
      }),
      pool: layers.maxPool({ size: 2, stride: 1, pad: { top: 1, bottom: 0, left: 0, right: 1 } }),
      conv2: layers.conv({ filters: 4, size: 2 }),
      add: layers.untiedBias(),
      pool2: layers.maxPool({ size: 3, stride: 2, pad: padAll(1), padValue: 0.25 }),
      pool3: layers.maxPool({ size: 2, stride: 1 }),
      flat: layers.flatten(),
      head: serial({ fc: layers.dense({ units: 7 }), tied: layers.bias(), act: layers.relu(), untied: layers.untiedBias() }),
      out: layers.dense({ units: 3 }),
    });
    const inShape = [13, 11, 2];
    const params = noisy(net.init(key(1), inShape));
    expect(await agreesOn(net, params, inShape)).toBeLessThan(1e-5);
  });

  it('gives an image-shaped output in the project\'s NHWC order, and takes flat inputs', async () => {
    const conv = serial({ conv: layers.conv({ filters: 3, size: 3, pad: padAll(1) }), b: layers.bias(), pool: layers.maxPool({ size: 2 }) });
    expect(await agreesOn(conv, noisy(conv.init(key(2), [6, 4, 2])), [6, 4, 2])).toBeLessThan(1e-5);
    // Zero padding on inputs that can be negative: what onnxruntime's Pad fusion would get wrong with a +0.
    const zeroPad = serial({ pool: layers.maxPool({ size: 3, stride: 2, pad: { top: 0, bottom: 1, left: 0, right: 1 }, padValue: 0 }) });
    expect(await agreesOn(zeroPad, { pool: {} }, [6, 6, 2], 4, -1)).toBe(0);
    const mlp = serial({ fc: layers.dense({ units: 4 }), act: layers.relu(), add: layers.untiedBias() });
    expect(await agreesOn(mlp, noisy(mlp.init(key(3), [9])), [9])).toBeLessThan(1e-5);
    const none = serial({});
    expect(await agreesOn(none, {}, [2, 2, 1])).toBe(0);
  });
});

describe('what ONNX export refuses', () => {
  // A user's own layer, as docs/library.md writes one: it has no spec to export.
  const leakyRelu: Layer<{ readonly [name: string]: never }> = {
    describe: (s, name) => ({ outShape: s, rows: [{ name, kind: 'leaky relu', outShape: s, params: 0, macs: 0 }] }),
    init: () => ({}),
    apply: (_, x) => ({ out: x, backward: (dy) => ({ x: dy, params: {} }) }),
  };

  it('names a layer the library did not make, nested or not', () => {
    const net = serial({ conv: layers.conv({ filters: 2, size: 3 }), block: serial({ leaky: leakyRelu }), flat: layers.flatten() });
    const r = encodeOnnx(net, net.init(key(0), [5, 5, 1]), { inShape: [5, 5, 1] });
    expect(r).toEqual(E.left('onnx: layer "block.leaky" (leaky relu) is not one of the library\'s layers, so it has no description to write as ONNX; export knows conv, bias, untiedBias, relu, maxPool, flatten, dense and serial'));
  });

  it('names a library layer whose apply was replaced (its spec no longer says what it computes)', () => {
    const relu = layers.relu();
    const net = serial({ act: { ...relu, apply: leakyRelu.apply } });
    const r = encodeOnnx(net, { act: {} }, { inShape: [4] });
    expect(E.isLeft(r) && r.left).toMatch(/^onnx: layer "act" \(relu\) is not one of the library's layers/);
  });

  it('names a missing or misshapen parameter, an input shape the network does not take, and two tensors of one name', () => {
    const net = seedNetwork({ widths: [2, 2, 2, 4] });
    const params = net.init(key(0), MNIST_SHAPE);
    const { conv2: _gone, ...missing } = params;
    expect(encodeOnnx(net, missing as unknown as typeof params)).toEqual(E.left('onnx: the parameter record has no tensor "conv2.w"; make it with the network\'s init'));
    const wrong = { ...params, dense2: { ...params.dense2, b: tensor([9], new Float32Array(9)) } };
    expect(encodeOnnx(net, wrong)).toEqual(E.left('onnx: parameter "dense2.b" has shape [9], but the layer needs [10]'));
    expect(E.isLeft(encodeOnnx(net, params, { inShape: [28, 28] })) && encodeOnnx(net, params, { inShape: [28, 28] })).toMatchObject({ left: expect.stringMatching(/^onnx: .*conv1/) });
    const clash = serial({ input: layers.relu(), fc: layers.dense({ units: 2 }) });
    expect(encodeOnnx(clash, clash.init(key(0), [3]), { inShape: [3] })).toEqual(E.left('onnx: two tensors would be named "input"; rename that layer, or choose another inputName or outputName'));
  });
});

describe('export --format onnx', () => {
  it('reads --format, or takes ONNX from a .onnx file name; other commands refuse --format', () => {
    const format = (...args: string[]) => {
      const c = parseCommand(['export', 'ck.safetensors', ...args], 2);
      return E.isRight(c) && c.right.kind === 'export' ? c.right.format : E.isLeft(c) ? c.left : c.right.kind;
    };
    expect(format('--out', 'm.onnx')).toBe('onnx');
    expect(format('--out', 'M.ONNX')).toBe('onnx');
    expect(format('--out', 'w.safetensors')).toBe('safetensors');
    expect(format('--format', 'onnx', '--out', 'w.bin')).toBe('onnx');
    expect(format('--format', 'safetensors', '--out', 'm.onnx')).toBe('safetensors');
    expect(parseCommand(['--format', 'onnx'], 2)).toEqual(E.left('--format does not apply to train'));
    expect(parseCommand(['evaluate', 'ck', '--format', 'onnx'], 2)).toEqual(E.left('--format does not apply to evaluate'));
  });

  it('writes the model encodeOnnx gives, never over an existing file; refuses a bad --format in one line', () => {
    const out = join(tempDir('onnx-'), 'model.onnx');
    const r = cli(['export', MODEL, '--format', 'onnx', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(/^wrote .*model\.onnx \(1,44\d,\d{3} bytes\): an ONNX model \(opset 13\)/);
    const want = encodeOnnx(seedNetwork({ init: 'he' }), weights(), { inputName: 'input', outputName: 'logits', note: 'exported from default.safetensors' });
    expect(E.isRight(want) && new Uint8Array(readFileSync(out)).every((b, i) => b === want.right[i]) && want.right.length === readFileSync(out).length).toBe(true);
    const again = cli(['export', MODEL, '--out', out]);
    expect(again.code).toBe(2);
    expect(again.stderr.trim()).toMatch(/^error: cannot write .*model\.onnx: already exists$/);
    const bad = cli(['export', MODEL, '--format', 'pb', '--out', out]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.split('\n')[0]).toBe('error: --format "pb": must be one of "safetensors" | "onnx"');
  });
});
