// Reference figures: the seed network trained and run in TensorFlow.js on its
// WASM backend, so `bench/bench.ts` can be read against them in the same run.
// `npx tsx bench/tfjs.ts [--quick]`. Random inputs: the figures depend on the
// shapes only. Medians over repetitions after one warm-up, as in bench.ts.

import { createRequire } from 'node:module';
import { dirname, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

export const TFJS_NOTE =
  'TensorFlow.js 4.22 WASM backend (XNNPACK, single-threaded under Node). The WASM backend has no ' +
  'Conv2DBackpropFilter kernel, so every conv2d goes through tf.customGrad: dx = tf.conv2dTranspose(dy, w) ' +
  "(the backend's Conv2DBackpropInput kernel) and dW by the pure-conv2d formulation: the input is transposed " +
  '[N,H,W,C] -> [C,H,W,N] and used as a batch of C one-channel-per-example images, dy is transposed ' +
  '[N,H,W,O] -> [H,W,N,O] and used as an HxW filter, conv2d with explicit padding 1 on every side ' +
  '(a valid conv over the zero-padded input, giving [C,3,3,O]), transposed to [3,3,C,O]. Checked against ' +
  "the CPU backend's tf.grad of tf.conv2d at start-up (max abs diff printed). Untied biases, the " +
  'bottom/right zero-padded 3x3/2 max pools, dense layers and softmax cross-entropy use stock tfjs ' +
  'ops and gradients; plain SGD at batch 1, Adam at batch 64, via optimizer.minimize.';

type Figure = { what: string; batch: number; imagesPerSecond: number };

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Median seconds of `run` over `n` repetitions after one warm-up. */
const time = (run: () => void, n: number): number => {
  run();
  const ts: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    run();
    ts.push((performance.now() - t0) / 1000);
  }
  return median(ts);
};

/** Gradient of a stride-1 'same' 3x3 conv2d with respect to the filter, from conv2d alone. */
const conv3x3FilterGrad = (x: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor4D =>
  tf.tidy(() => {
    const xT = tf.transpose(x, [3, 1, 2, 0]); // [C,H,W,N]: C images with N channels
    const dyT = tf.transpose(dy, [1, 2, 0, 3]); // [H,W,N,O]: an HxW filter from N to O channels
    // out[c,kh,kw,o] = sum_{i,j,n} xpad[n,i+kh,j+kw,c] * dy[n,i,j,o], kh,kw in 0..2
    const g = tf.conv2d(xT, dyT, 1, [[0, 0], [1, 1], [1, 1], [0, 0]]); // [C,3,3,O]
    return tf.transpose(g, [1, 2, 0, 3]); // [3,3,C,O]
  });

/** conv2d 3x3 stride 1 'same' without bias, with a gradient the WASM backend can compute. */
const conv3x3 = tf.customGrad((x, w, save) => {
  const x4 = x as tf.Tensor4D;
  const w4 = w as tf.Tensor4D;
  (save as (tensors: tf.Tensor[]) => void)([x4, w4]);
  return {
    value: tf.conv2d(x4, w4, 1, 'same'),
    gradFunc: (dy, saved) => {
      const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
      const dy4 = dy as tf.Tensor4D;
      return [tf.conv2dTranspose(dy4, ws, xs.shape, 1, 'same'), conv3x3FilterGrad(xs, dy4)];
    },
  };
}) as (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D;

type Params = {
  w1: tf.Variable; b1: tf.Variable; w2: tf.Variable; b2: tf.Variable; w3: tf.Variable; b3: tf.Variable;
  w4: tf.Variable; b4: tf.Variable; w5: tf.Variable; b5: tf.Variable;
};

const he = (shape: number[], fanIn: number, name: string): tf.Variable =>
  tf.variable(tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', 1), true, name);
const zeros = (shape: number[], name: string): tf.Variable => tf.variable(tf.zeros(shape), true, name);

const initParams = (): Params => ({
  w1: he([3, 3, 1, 16], 9, 'w1'), b1: zeros([28, 28, 16], 'b1'),
  w2: he([3, 3, 16, 32], 144, 'w2'), b2: zeros([14, 14, 32], 'b2'),
  w3: he([3, 3, 32, 64], 288, 'w3'), b3: zeros([7, 7, 64], 'b3'),
  w4: he([3136, 100], 3136, 'w4'), b4: zeros([100], 'b4'),
  w5: he([100, 10], 100, 'w5'), b5: zeros([10], 'b5'),
});

/** 3x3 stride-2 max pool over the input zero-padded by one row/column at the bottom and right. */
const pool = (x: tf.Tensor4D): tf.Tensor4D =>
  tf.maxPool(tf.pad(x, [[0, 0], [0, 1], [0, 1], [0, 0]]), 3, 2, 'valid');

const logits = (p: Params, x: tf.Tensor4D, training: boolean): tf.Tensor2D => {
  const conv = training ? conv3x3 : (a: tf.Tensor4D, w: tf.Tensor4D) => tf.conv2d(a, w, 1, 'same');
  const h1 = pool(tf.relu(tf.add<tf.Tensor4D>(conv(x, p.w1 as tf.Tensor4D), p.b1)));
  const h2 = pool(tf.relu(tf.add<tf.Tensor4D>(conv(h1, p.w2 as tf.Tensor4D), p.b2)));
  const h3 = tf.relu(tf.add<tf.Tensor4D>(conv(h2, p.w3 as tf.Tensor4D), p.b3));
  const f = tf.reshape(h3, [x.shape[0], 3136]);
  const d1 = tf.relu(tf.add(tf.matMul(f, p.w4 as tf.Tensor2D), p.b4));
  return tf.add<tf.Tensor2D>(tf.matMul(d1, p.w5 as tf.Tensor2D), p.b5);
};

const batchOf = (n: number): { x: tf.Tensor4D; y: tf.Tensor } => ({
  x: tf.randomUniform([n, 28, 28, 1], 0, 1, 'float32', 7),
  y: tf.oneHot(tf.tensor1d(Array.from({ length: n }, (_, i) => i % 10), 'int32'), 10).toFloat(),
});

let ready: Promise<void> | undefined;

/** Select the WASM backend, loading its .wasm binaries from the installed package (no download). */
const useWasm = (): Promise<void> =>
  (ready ??= (async () => {
    const require = createRequire(import.meta.url);
    const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    tf.enableProdMode(); // no debug checks; also silences the 'install tfjs-node' banner
    setWasmPaths(dist + sep);
    if (!(await tf.setBackend('wasm'))) throw new Error('tfjs: the wasm backend failed to initialise');
    await tf.ready();
  })());

/** Max abs difference between the custom conv gradients on WASM and tf.grad of tf.conv2d on CPU. */
export const checkConvGradient = async (): Promise<number> => {
  const shapes: Array<[number, number, number, number]> = [[2, 6, 3, 4], [3, 7, 2, 5], [1, 28, 1, 16]];
  const cases = shapes.map(([n, hw, c, o], k) => ({
    x: tf.randomNormal([n, hw, hw, c], 0, 1, 'float32', 10 + k).arraySync() as number[][][][],
    w: tf.randomNormal([3, 3, c, o], 0, 1, 'float32', 20 + k).arraySync() as number[][][][],
    dy: tf.randomNormal([n, hw, hw, o], 0, 1, 'float32', 30 + k).arraySync() as number[][][][],
  }));
  const grads = (custom: boolean): Float32Array[] =>
    cases.flatMap(({ x, w, dy }) =>
      tf.tidy(() => {
        const [xt, wt, dyt] = [tf.tensor4d(x), tf.tensor4d(w), tf.tensor4d(dy)];
        const f = custom ? conv3x3 : (a: tf.Tensor4D, b: tf.Tensor4D) => tf.conv2d(a, b, 1, 'same');
        const gs = tf.grads((a: tf.Tensor, b: tf.Tensor) => f(a as tf.Tensor4D, b as tf.Tensor4D))([xt, wt], dyt);
        return gs.map((g) => g.dataSync() as Float32Array);
      }),
    );
  await tf.setBackend('cpu');
  const reference = grads(false);
  await tf.setBackend('wasm');
  const ours = grads(true);
  let maxDiff = 0;
  reference.forEach((r, i) => {
    const o = ours[i]!;
    if (o.length !== r.length) throw new Error(`gradient ${i}: length ${o.length} vs ${r.length}`);
    for (let j = 0; j < r.length; j++) maxDiff = Math.max(maxDiff, Math.abs(o[j]! - r[j]!));
  });
  return maxDiff;
};

export const tfjsFigures = async (opts: { quick: boolean }): Promise<Figure[]> => {
  await useWasm();
  const reps = opts.quick ? 3 : 7;
  const figures: Figure[] = [];
  const p = initParams();
  const vars = Object.values(p);

  for (const batch of [1, 64]) {
    const opt = batch === 1 ? tf.train.sgd(1e-3) : tf.train.adam(1e-3);
    const steps = batch === 1 ? (opts.quick ? 100 : 400) : opts.quick ? 5 : 20;
    const { x, y } = batchOf(batch);
    const sec = time(() => {
      let loss: tf.Scalar | null = null;
      for (let i = 0; i < steps; i++) {
        loss?.dispose();
        loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, logits(p, x, true)) as tf.Scalar, true, vars);
      }
      loss?.dataSync();
      loss?.dispose();
    }, opts.quick ? 2 : 3);
    figures.push({ what: 'train', batch, imagesPerSecond: (steps * batch) / sec });
    opt.dispose();
    x.dispose();
    y.dispose();
  }

  for (const batch of [1, 256]) {
    const { x, y } = batchOf(batch);
    const n = batch === 1 ? 200 : 4;
    const sec = time(() => {
      for (let i = 0; i < n; i++) tf.tidy(() => tf.softmax(logits(p, x, false)).dataSync());
    }, reps);
    figures.push({ what: 'infer', batch, imagesPerSecond: (n * batch) / sec });
    x.dispose();
    y.dispose();
  }
  vars.forEach((v) => v.dispose());
  return figures;
};

const main = async (): Promise<void> => {
  const quick = process.argv.includes('--quick');
  await useWasm();
  const diff = await checkConvGradient();
  console.error(`tfjs ${tf.version.tfjs}, backend ${tf.getBackend()}, simd ${String(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'))}, threads ${String(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'))}; node ${process.version}${quick ? '; quick' : ''}`);
  console.error(`conv2d custom gradient vs CPU tf.grad: max abs diff ${diff.toExponential(2)}`);
  if (!(diff < 1e-3)) throw new Error('tfjs: custom conv2d gradient disagrees with the CPU backend');
  const figures = await tfjsFigures({ quick });
  console.log(`\n| what | shape | rate |\n|---|---|---|`);
  for (const f of figures) console.log(`| tfjs-wasm ${f.what} | batch ${f.batch} | ${f.imagesPerSecond.toFixed(0)} images/s |`);
  console.log(`\n${TFJS_NOTE}`);
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
