// net.mjs, typed: a hand-written layer and the user's network.
import { layers, serial, tensor, type Layer, type NoParams, type Tensor } from 'mnist-cnn-ts';

export const leakyRelu = (slope = 0.1): Layer<NoParams> => ({
  describe: (inShape, name) => ({ outShape: inShape, rows: [{ name, kind: `leaky relu ${slope}`, outShape: inShape, params: 0, macs: 0 }] }),
  init: () => ({}),
  apply: (_params, x) => ({
    out: tensor(x.shape, x.data.map((v) => (v > 0 ? v : slope * v))),
    backward: (dy: Tensor) => ({ x: tensor(x.shape, dy.data.map((d, i) => (x.data[i]! > 0 ? d : slope * d))), params: {} }),
  }),
});

export const net = serial({
  conv: layers.conv({ filters: 4, size: 3 }),
  leaky: leakyRelu(),
  flat: layers.flatten(),
  out: layers.dense({ units: 3 }),
});
