// mnist-cnn-ts in a web page (bundled by esbuild): the network of net.mjs
// trained a few steps on the WASM kernels, the losses written into the page.
import { adam, createWasmKernels, fromArray, key, normal, valueAndGrad } from 'mnist-cnn-ts';
import { net } from './net.mjs';

try {
  const x = fromArray([16, 8, 8, 1], normal(key(1), 16 * 64));
  const labels = Uint8Array.from({ length: 16 }, (_, i) => i % 3);
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
  document.body.dataset.result = JSON.stringify({ kernels: kernels.name, losses });
} catch (e) {
  document.body.dataset.error = String(e?.stack ?? e);
}
