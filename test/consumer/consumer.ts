// consumer.mjs, typed: what a TypeScript user of the package writes. The
// test typechecks it against the published declarations (strict, with
// noUncheckedIndexedAccess and exactOptionalPropertyTypes, skipLibCheck off)
// under moduleResolution node16 and bundler.
import {
  adam, checkGradients, checkLayerGradients, compile, createWasmKernels, fromArray, key, normal, tensor, valueAndGrad,
  type Checked, type GradCheckResult, type KernelHelper, type Tensor,
} from 'mnist-cnn-ts';
import { parallelGradients, startKernelHelper, type ParallelOptions } from 'mnist-cnn-ts/node';
import { net } from './net.js';

const x = fromArray([16, 8, 8, 1], normal(key(1), 16 * 64));
const labels = Uint8Array.from({ length: 16 }, (_, i) => i % 3);

const kernels = createWasmKernels();
// The types are real, not any: each line below must be an error.
// @ts-expect-error: a network runs only with a kernel set given.
const noKernels: Parameters<typeof valueAndGrad>[1] = {};
// @ts-expect-error: workers take a kernel set by name, and there is no 'gpu' one.
const gpu: ParallelOptions['kernels'] = 'gpu';
void [noKernels, gpu];
const lossAndGrad = valueAndGrad(net, { kernels });
const opt = adam();
let params = net.init(key(0), [8, 8, 1]);
let state = opt.init(params);
const losses: number[] = [];
for (let i = 0; i < 10; i++) {
  const { loss, grads } = lossAndGrad(params, { x, labels });
  losses.push(loss);
  ({ params, state } = opt.step(params, grads, state, { lr: 0.01, kernels }));
}

// y = x * x * w and its backward.
const op = ({ x, w }: { readonly x: Tensor; readonly w: Tensor }) => ({
  out: tensor(x.shape, x.data.map((v, i) => v * v * w.data[i]!)),
  backward: (dy: Tensor) => ({
    x: tensor(x.shape, dy.data.map((d, i) => 2 * d * x.data[i]! * w.data[i]!)),
    w: tensor(w.shape, dy.data.map((d, i) => d * x.data[i]! * x.data[i]!)),
  }),
});
const checked: Checked = (inputs) => op({ x: inputs.x!, w: inputs.w! });
const wrong: Checked = (inputs) => {
  const { out, backward } = op({ x: inputs.x!, w: inputs.w! });
  return { out, backward: (dy: Tensor) => ({ ...backward(dy), w: dy }) };
};
const inputs = { x: fromArray([2, 3], normal(key(2), 6)), w: fromArray([2, 3], normal(key(3), 6)) };
const opCheck: GradCheckResult = checkGradients(checked, inputs);
const wrongCheck = checkGradients(wrong, inputs);
const netCheck = checkLayerGradients(net, params, fromArray([2, 8, 8, 1], normal(key(4), 128)));

const workers = parallelGradients(params, { network: { kind: 'module', url: new URL('./net.js', import.meta.url).href, export: 'net' }, kernels: 'wasm', threads: 2 });
const singleLoss = lossAndGrad(params, { x, labels }).loss;
const parallelLosses: number[] = [];
for (let i = 0; i < 5; i++) {
  const { loss, grads } = await workers.valueAndGrad(params, x, labels);
  parallelLosses.push(loss);
  ({ params, state } = opt.step(params, grads, state, { lr: 0.01, kernels }));
}
await workers.close();

const helper: KernelHelper = await startKernelHelper({ fma: false });
const helperLoss: number = compile(net, { helper }).valueAndGrad(params, { x, labels }).loss;
await helper.close();

console.log(JSON.stringify({
  node: process.version, losses, opCheck: opCheck.ok, wrongCheck: wrongCheck.ok, wrongMessage: wrongCheck.message,
  netCheck: netCheck.ok, netMessage: netCheck.message, singleLoss, parallelLosses, helperLoss,
}));
