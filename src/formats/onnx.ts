// A trained network as an ONNX model (https://onnx.ai, opset 13), so that
// onnxruntime and the other ONNX runtimes can run it. The network is read from
// its layers' descriptions (LayerSpec), the same data the compiled path plans
// from; a layer without one (a user's own) cannot be written and is named.
// The protobuf is written by hand (protobuf.ts: why there). Pure over bytes;
// runs in a browser.
//
// Layout: the project's images are NHWC and its filters HWIO; ONNX's Conv and
// MaxPool take NCHW and OIHW. The model keeps the project's NHWC input and
// output, transposes to NCHW before the first conv or pool and back to NHWC
// before a flatten (so a dense layer's weights keep their h, w, c row order);
// filters and untied biases are written in ONNX's order.

import * as E from 'fp-ts/lib/Either.js';
import type { Result } from '../core/result.ts';
import { ShapeError, showShape } from '../core/shape.ts';
import { sizeOf, type Shape, type Tensor } from '../core/tensor.ts';
import { flattenLayers, type PlannedLayer } from '../compile/plan.ts';
import { specOf, type Layer, type LayerSpec } from '../graph/layer.ts';
import { MNIST_SHAPE } from '../graph/seed-network.ts';
import { isTensor, type Tree } from '../graph/tree.ts';
import { concat, intField, messageField, repeatedInts, stringField, bytesField, type Field } from './protobuf.ts';

/** The ONNX operator set the model declares. */
export const ONNX_OPSET = 13;
/** The ONNX IR version that goes with opset 13. */
const IR_VERSION = 7;

/** What {@link encodeOnnx} takes besides the network and its parameters. */
export interface OnnxOptions {
  /** One input without the batch axis; default [28, 28, 1], an MNIST image. */
  readonly inShape?: Shape;
  /** The graph's input name; default 'input'. */
  readonly inputName?: string;
  /** The graph's output name; default 'output'. */
  readonly outputName?: string;
  /** Written to the model's doc_string, such as where the weights came from. */
  readonly note?: string;
  /** The producer version recorded in the model (producer_version); default none. */
  readonly producerVersion?: string;
}

// ONNX's enums (onnx.proto): TensorProto.DataType and AttributeProto.AttributeType.
const FLOAT = 1;
const INT64 = 7;
const ATTR_INT = 2;
const ATTR_STRING = 3;
const ATTR_INTS = 7;

type Attribute = { readonly name: string } & ({ readonly int: number } | { readonly ints: readonly number[] } | { readonly string: string });

interface Node {
  readonly op: string;
  readonly name: string;
  readonly inputs: readonly string[];
  output: string;
  readonly attributes: readonly Attribute[];
}

interface Initializer {
  readonly name: string;
  readonly dims: readonly number[];
  readonly floats?: Float32Array;
  readonly int64s?: readonly number[];
}

const attributeProto = (a: Attribute): Field[] => [
  stringField(1, a.name),
  ...('int' in a ? [intField(3, a.int), intField(20, ATTR_INT)]
    : 'ints' in a ? [repeatedInts(8, a.ints), intField(20, ATTR_INTS)]
      : [bytesField(4, new TextEncoder().encode(a.string)), intField(20, ATTR_STRING)]),
];

const nodeProto = (n: Node): Field[] => [
  ...n.inputs.map((i) => stringField(1, i)),
  stringField(2, n.output),
  stringField(3, n.name),
  stringField(4, n.op),
  ...n.attributes.map((a) => messageField(5, attributeProto(a))),
];

/** Little-endian bytes whatever the host's order, as raw_data requires. */
const littleEndian = (values: Float32Array | readonly number[], int64: boolean): Uint8Array => {
  const bytes = new Uint8Array(values.length * (int64 ? 8 : 4));
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) {
    if (int64) view.setBigInt64(8 * i, BigInt(values[i]!), true);
    else view.setFloat32(4 * i, values[i]!, true);
  }
  return bytes;
};

const tensorProto = (t: Initializer): Field[] => [
  repeatedInts(1, t.dims),
  intField(2, t.floats !== undefined ? FLOAT : INT64),
  stringField(8, t.name),
  bytesField(9, t.floats !== undefined ? littleEndian(t.floats, false) : littleEndian(t.int64s!, true)),
];

/** A float tensor's type with a symbolic batch axis first. */
const valueInfo = (name: string, shape: Shape): Field[] => [
  stringField(1, name),
  messageField(2, [
    messageField(1, [
      intField(1, FLOAT),
      messageField(2, [messageField(1, [stringField(2, 'batch')]), ...shape.map((d) => messageField(1, [intField(1, d)]))]),
    ]),
  ]),
];

/** Where a tensor is while the graph is built: its name, its axes' order, and its shape in the project's order (no batch axis). */
interface Flow {
  readonly name: string;
  readonly layout: 'nhwc' | 'nchw' | 'flat';
  readonly shape: Shape;
}

class Refused extends Error {}
const refuse = (message: string): never => {
  throw new Refused(message);
};

/** The parameter tensor `field` of the layer at `path`, checked against the shape the layer needs. */
const param = (params: Tree, at: PlannedLayer, field: string, shape: Shape): Tensor => {
  let t: Tree | undefined = params;
  for (const k of [...at.path, field]) t = t === undefined || isTensor(t) ? undefined : t[k];
  const where = [...at.path, field].join('.');
  if (t === undefined || !isTensor(t)) return refuse(`the parameter record has no tensor "${where}"; make it with the network's init`);
  if (showShape(t.shape) !== showShape(shape)) return refuse(`parameter "${where}" has shape ${showShape(t.shape)}, but the layer needs ${showShape(shape)}`);
  return t;
};

/** `data` (laid out by `shape`) with its axes reordered by `perm`: out axis i is in axis perm[i]. */
const transposed = (data: ArrayLike<number>, shape: Shape, perm: readonly number[]): Float32Array => {
  const outShape = perm.map((p) => shape[p]!);
  const strides = shape.map((_, i) => sizeOf(shape.slice(i + 1)));
  const out = new Float32Array(data.length);
  const index = new Array<number>(outShape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let i = 0; i < perm.length; i++) src += index[i]! * strides[perm[i]!]!;
    out[o] = data[src]!;
    for (let i = outShape.length - 1; i >= 0; i--) {
      if (++index[i]! < outShape[i]!) break;
      index[i] = 0;
    }
  }
  return out;
};

/** @inline */
type AnyLayer = Layer<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const KNOWN = 'conv, bias, untiedBias, relu, maxPool, flatten, dense and serial';

/** The nodes and initializers of the network's graph, from input to output. */
const buildGraph = (net: AnyLayer, params: Tree, inShape: Shape, inputName: string, outputName: string) => {
  const nodes: Node[] = [];
  const initializers: Initializer[] = [];
  let flow: Flow = { name: inputName, layout: inShape.length === 3 ? 'nhwc' : 'flat', shape: inShape };
  const add = (op: string, name: string, inputs: readonly string[], attributes: readonly Attribute[] = []): string => {
    nodes.push({ op, name, inputs, output: name, attributes });
    return name;
  };
  const constant = (t: Initializer): string => {
    initializers.push(t);
    return t.name;
  };
  const toNchw = (name: string): void => {
    if (flow.layout === 'nhwc') flow = { ...flow, layout: 'nchw', name: add('Transpose', `${name}.to_nchw`, [flow.name], [{ name: 'perm', ints: [0, 3, 1, 2] }]) };
  };
  const toNhwc = (name: string): void => {
    if (flow.layout === 'nchw') flow = { ...flow, layout: 'nhwc', name: add('Transpose', `${name}.to_nhwc`, [flow.name], [{ name: 'perm', ints: [0, 2, 3, 1] }]) };
  };
  const planned = flattenLayers(net, inShape);
  planned.forEach((at, i) => {
    const name = at.path.join('.') || 'layer';
    const spec: LayerSpec | undefined = specOf(at.layer);
    const next = (op: string, inputs: readonly string[], attributes: readonly Attribute[] = [], layout = flow.layout): void => {
      flow = { name: add(op, name, inputs, attributes), layout, shape: at.outShape };
    };
    switch (spec?.op) {
      case 'conv': {
        toNchw(name);
        const [k, , cin, cout] = [spec.size, spec.size, at.inShape[2]!, spec.filters];
        const w = param(params, at, 'w', [k, k, cin, cout]);
        const oihw = constant({ name: `params.${name}.w`, dims: [cout, cin, k, k], floats: transposed(w.data, w.shape, [3, 2, 0, 1]) });
        const { top, left, bottom, right } = spec.pad;
        next('Conv', [flow.name, oihw], [
          { name: 'kernel_shape', ints: [k, k] },
          { name: 'strides', ints: [spec.stride, spec.stride] },
          { name: 'pads', ints: [top, left, bottom, right] },
        ]);
        break;
      }
      case 'untiedBias': {
        const b = param(params, at, 'b', at.inShape);
        // A bias over [h, w, c] follows the tensor's layout; any other shape is added as it is.
        const nchw = flow.layout === 'nchw' && b.shape.length === 3;
        const bias = nchw
          ? { dims: [b.shape[2]!, b.shape[0]!, b.shape[1]!], floats: transposed(b.data, b.shape, [2, 0, 1]) }
          : { dims: [...b.shape], floats: Float32Array.from(b.data) };
        next('Add', [flow.name, constant({ name: `params.${name}.b`, ...bias })]);
        break;
      }
      case 'bias': {
        const c = at.inShape[at.inShape.length - 1]!;
        const b = param(params, at, 'b', [c]);
        // ONNX broadcasts from the last axis: under NCHW the channel axis needs [c, 1, 1].
        const dims = flow.layout === 'nchw' ? [c, 1, 1] : [c];
        next('Add', [flow.name, constant({ name: `params.${name}.b`, dims, floats: Float32Array.from(b.data) })]);
        break;
      }
      case 'relu':
        next('Relu', [flow.name]);
        break;
      case 'maxPool': {
        toNchw(name);
        const { top, left, bottom, right } = spec.pad;
        const window = [{ name: 'kernel_shape', ints: [spec.size, spec.size] }, { name: 'strides', ints: [spec.stride, spec.stride] }];
        const padded = top + left + bottom + right > 0;
        if (padded && spec.padValue !== -Infinity) {
          // MaxPool's own padding acts as -Infinity; any other pad value is a Pad node first.
          const pads = constant({ name: `${name}.pads`, dims: [8], int64s: [0, 0, top, left, 0, 0, bottom, right] });
          // onnxruntime's PadFusion folds a Pad whose value is all zero bytes into MaxPool's padding, so that it
          // acts as -Infinity: the same result after a ReLU (inputs >= 0; every window holds a real cell, each pad
          // being smaller than the window), a different one elsewhere. There the zero is written as -0, equal to
          // it in every comparison, which the fusion leaves alone.
          const afterRelu = specOf(planned[i - 1]?.layer)?.op === 'relu';
          const v = spec.padValue === 0 && !afterRelu ? -0 : spec.padValue;
          const value = constant({ name: `${name}.pad_value`, dims: [], floats: Float32Array.of(v) });
          flow = { ...flow, name: add('Pad', `${name}.pad`, [flow.name, pads, value], [{ name: 'mode', string: 'constant' }]) };
          next('MaxPool', [flow.name], window);
        } else next('MaxPool', [flow.name], [...window, ...(padded ? [{ name: 'pads', ints: [top, left, bottom, right] }] : [])]);
        break;
      }
      case 'flatten':
        toNhwc(name);
        next('Flatten', [flow.name], [{ name: 'axis', int: 1 }], 'flat');
        break;
      case 'dense': {
        const [features, units] = [at.inShape[0]!, spec.units];
        const w = param(params, at, 'w', [features, units]);
        const b = param(params, at, 'b', [units]);
        next('Gemm', [
          flow.name,
          constant({ name: `params.${name}.w`, dims: [features, units], floats: Float32Array.from(w.data) }),
          constant({ name: `params.${name}.b`, dims: [units], floats: Float32Array.from(b.data) }),
        ]);
        break;
      }
      default: {
        const kind = at.layer.describe(at.inShape, name).rows[0]?.kind;
        refuse(`layer "${name}"${kind === undefined ? '' : ` (${kind})`} is not one of the library's layers, so it has no description to write as ONNX; export knows ${KNOWN}`);
      }
    }
  });
  toNhwc('output');
  // The graph's output is the last node's; a network of no layers passes its input through.
  const last = nodes[nodes.length - 1];
  if (last === undefined || flow.name === inputName) add('Identity', outputName, [flow.name]);
  else last.output = outputName;
  // Tensor names are layer paths: a layer named like the input or the output would make two tensors of one name.
  const names = [inputName, ...nodes.map((n) => n.output), ...initializers.map((t) => t.name)];
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) refuse(`two tensors would be named "${twice}"; rename that layer, or choose another inputName or outputName`);
  return { nodes, initializers, outShape: flow.shape };
};

/**
 * The network with its parameters as an ONNX model (opset 13): one float32
 * input `[batch, ...inShape]` (NHWC for images, as the project's own input,
 * batch axis symbolic) and one output `[batch, ...outShape]`. Each layer
 * becomes the ONNX operators it computes: conv -> Conv, untiedBias and bias
 * -> Add of an initializer, relu -> Relu, maxPool -> (Pad +) MaxPool,
 * flatten -> Flatten, dense -> Gemm; nested serials are walked through, and
 * Transposes move between NHWC and ONNX's NCHW. Parameters are written as
 * float32, named `params.<layer path>.<name>` as in a weights file.
 *
 * Fails, naming the layer, on a layer the library did not make (a user's
 * own: it has no description to write), on a parameter missing or of the
 * wrong shape, and on an input shape the network does not take.
 *
 * @example
 * const net = seedNetwork({ init: 'he' });
 * const params = net.init(key(0), MNIST_SHAPE);
 * const model = encodeOnnx(net, params);
 * if (model._tag === 'Right') console.log(`${model.right.length} bytes`);
 */
export const encodeOnnx = <P extends Tree>(net: Layer<P>, params: P, options: OnnxOptions = {}): Result<Uint8Array> => {
  const { inShape = MNIST_SHAPE, inputName = 'input', outputName = 'output', note = '', producerVersion = '' } = options;
  if (inputName === outputName) return E.left(`onnx: the input and the output need different names (both "${inputName}")`);
  let graph: ReturnType<typeof buildGraph>;
  try {
    graph = buildGraph(net, params, inShape, inputName, outputName);
  } catch (err) {
    // A Refused is this file's own message; a ShapeError from describe names the layer whose shape does not fit.
    if (err instanceof Refused || err instanceof ShapeError) return E.left(`onnx: ${err.message}`);
    throw err;
  }
  const graphProto = [
    ...graph.nodes.map((n) => messageField(1, nodeProto(n))),
    stringField(2, 'network'),
    ...graph.initializers.map((t) => messageField(5, tensorProto(t))),
    messageField(11, valueInfo(inputName, inShape)),
    messageField(12, valueInfo(outputName, graph.outShape)),
  ];
  return E.right(concat([
    intField(1, IR_VERSION),
    stringField(2, 'mnist-cnn-ts'),
    ...(producerVersion === '' ? [] : [stringField(3, producerVersion)]),
    ...(note === '' ? [] : [stringField(6, note)]),
    messageField(7, graphProto),
    messageField(8, [stringField(1, ''), intField(2, ONNX_OPSET)]),
  ]));
};
