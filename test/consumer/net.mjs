// The network, in a module of its own so that worker threads can import it
// too (parallelGradients takes its URL and export name).
import { layers, serial, tensor } from 'mnist-cnn-ts';

// A layer written by hand: leaky ReLU, y = x for x > 0, slope * x otherwise.
// A layer is three functions: describe (shapes, for the network table and
// for serial to chain shapes), init (its parameters: none) and apply (its
// output and a backward closure giving the input's and parameters' gradients).
// map keeps the data's type: float32 in training, float64 in the checker.
export const leakyRelu = (slope = 0.1) => ({
  describe: (inShape, name) => ({ outShape: inShape, rows: [{ name, kind: `leaky relu ${slope}`, outShape: inShape, params: 0, macs: 0 }] }),
  init: () => ({}),
  apply: (_params, x) => ({
    out: tensor(x.shape, x.data.map((v) => (v > 0 ? v : slope * v))),
    backward: (dy) => ({ x: tensor(x.shape, dy.data.map((d, i) => (x.data[i] > 0 ? d : slope * d))), params: {} }),
  }),
});

// The user's network, with the library's layers around the hand-written one.
export const net = serial({
  conv: layers.conv({ filters: 4, size: 3 }),
  leaky: leakyRelu(),
  flat: layers.flatten(),
  out: layers.dense({ units: 3 }),
});
