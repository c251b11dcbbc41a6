// mnist-cnn-ts as an installed package, from plain Node: train a network of
// our own (net.mjs, with a hand-written layer), check gradients of a
// hand-written op and of the whole network, train on worker threads, and
// split a compiled network's kernels with a helper thread.
import { adam, checkGradients, checkLayerGradients, compile, createWasmKernels, fromArray, key, leaves, normal, tensor, valueAndGrad } from 'mnist-cnn-ts';
import { parallelGradients, startKernelHelper } from 'mnist-cnn-ts/node';
import { net } from './net.mjs';

// A synthetic batch: 16 random 8x8 one-channel images in 3 classes.
const x = fromArray([16, 8, 8, 1], normal(key(1), 16 * 64));
const labels = Uint8Array.from({ length: 16 }, (_, i) => i % 3);

// Training: the WASM kernels run every op and the optimizer step; all pure.
const kernels = createWasmKernels();
const lossAndGrad = valueAndGrad(net, { kernels });
const opt = adam();
let params = net.init(key(0), [8, 8, 1]);
let state = opt.init(params);
const losses = [];
for (let i = 0; i < 10; i++) {
  const { loss, grads } = lossAndGrad(params, { x, labels });
  losses.push(loss);
  ({ params, state } = opt.step(params, grads, state, { lr: 0.01, kernels }));
}

// The same network compiled (its hand-written layer runs on its own apply in between): the same numbers, bit for bit.
const compiled = compile(net).valueAndGrad(params, { x, labels });
const eager = lossAndGrad(params, { x, labels });
const compiledMatches = compiled.loss === eager.loss
  && leaves(compiled.grads).every(([path, g], i) => path === leaves(eager.grads)[i][0] && g.data.every((v, j) => Object.is(v, leaves(eager.grads)[i][1].data[j])));

// An op of our own: y = x * x * w, its output and a backward closure.
const op = ({ x, w }) => ({
  out: tensor(x.shape, x.data.map((v, i) => v * v * w.data[i])),
  backward: (dy) => ({
    x: tensor(x.shape, dy.data.map((d, i) => 2 * d * x.data[i] * w.data[i])),
    w: tensor(w.shape, dy.data.map((d, i) => d * x.data[i] * x.data[i])),
  }),
});
// A deliberately wrong backward (dw = dy, as if dy/dw were 1): the checker must catch it.
const wrong = (inputs) => {
  const { out, backward } = op(inputs);
  return { out, backward: (dy) => ({ ...backward(dy), w: dy }) };
};
const inputs = { x: fromArray([2, 3], normal(key(2), 6)), w: fromArray([2, 3], normal(key(3), 6)) };
// checkGradients runs the op in float64 and compares with central differences.
const opCheck = checkGradients(op, inputs);
const wrongCheck = checkGradients(wrong, inputs);
// The whole network: the gradient of its input and of every parameter.
const netCheck = checkLayerGradients(net, params, fromArray([2, 8, 8, 1], normal(key(4), 128)));

// Data-parallel training: two worker threads each import net.mjs and take half the batch.
const workers = parallelGradients(params, {
  network: { kind: 'module', url: new URL('./net.mjs', import.meta.url).href, export: 'net' },
  kernels: 'wasm',
  threads: 2,
});
// One thread's loss at the same parameters, to compare with the workers' first.
const singleLoss = lossAndGrad(params, { x, labels }).loss;
const parallelLosses = [];
for (let i = 0; i < 5; i++) {
  const { loss, grads } = await workers.valueAndGrad(params, x, labels);
  parallelLosses.push(loss);
  ({ params, state } = opt.step(params, grads, state, { lr: 0.01, kernels }));
}
await workers.close();

// The compiled network with a kernel helper (a second thread, started from the package's own worker file): one thread's numbers.
const helper = await startKernelHelper();
const twoThreads = compile(net, { helper }).valueAndGrad(params, { x, labels });
const oneThread = compile(net).valueAndGrad(params, { x, labels });
const helperMatches = twoThreads.loss === oneThread.loss
  && leaves(twoThreads.grads).every(([, g], i) => g.data.every((v, j) => Object.is(v, leaves(oneThread.grads)[i][1].data[j])));
await helper.close();

console.log(JSON.stringify({
  node: process.version, losses, opCheck: opCheck.ok, wrongCheck: wrongCheck.ok, wrongMessage: wrongCheck.message,
  netCheck: netCheck.ok, netMessage: netCheck.message, singleLoss, parallelLosses, compiledMatches, helperMatches,
}));
