// From a network to the stages a compiled program runs: nested serials are
// flattened into one list of layers, each named by its path, and a conv or
// dense layer swallows the bias and ReLU layers that follow it (one pass over
// its output while it is still in cache, instead of three ops). A layer the
// planner does not know (a user's own) becomes an eager stage that runs its
// own `apply`.

import { inLayer } from '../core/shape.ts';
import type { Shape } from '../core/tensor.ts';
import { specOf, type Layer, type LayerSpec } from '../graph/layer.ts';
import type { WindowGeometry } from '../ops/kernels/types.ts';

/** @inline */
type AnyLayer = Layer<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** One layer of the flattened network: its path in the parameter record, its input and output shapes (batch axis left out). */
export interface PlannedLayer {
  /** The keys from the root record to this layer's own record: ['block', 'conv1']. */
  readonly path: readonly string[];
  readonly layer: AnyLayer;
  readonly inShape: Shape;
  readonly outShape: Shape;
}

/** A bias a conv or dense stage adds after its product: tied (one per channel) or untied (one per position and channel). */
export interface FusedBias {
  readonly at: PlannedLayer;
  readonly untied: boolean;
}

/** What a stage does; each reads the previous stage's output and writes its own. */
export type Stage =
  | {
      readonly kind: 'conv';
      readonly at: PlannedLayer;
      /** The window geometry for one image (n = 1); the program scales it to the batch. */
      readonly g: WindowGeometry;
      readonly filters: number;
      readonly bias: FusedBias | undefined;
      readonly relu: PlannedLayer | undefined;
    }
  | { readonly kind: 'dense'; readonly at: PlannedLayer; readonly inputs: number; readonly units: number; readonly relu: PlannedLayer | undefined }
  | { readonly kind: 'bias'; readonly at: PlannedLayer; readonly untied: boolean; readonly channels: number }
  | { readonly kind: 'relu'; readonly at: PlannedLayer }
  | { readonly kind: 'maxPool'; readonly at: PlannedLayer; readonly g: WindowGeometry; readonly padValue: number }
  | { readonly kind: 'flatten'; readonly at: PlannedLayer }
  | { readonly kind: 'eager'; readonly at: PlannedLayer };

const flattenNetwork = (layer: AnyLayer, inShape: Shape, path: readonly string[], out: PlannedLayer[]): Shape => {
  const spec = specOf(layer);
  if (spec?.op === 'serial') {
    let shape = inShape;
    for (const [name, child] of Object.entries(spec.layers)) shape = flattenNetwork(child, shape, [...path, name], out);
    return shape;
  }
  // A shape that does not fit names the layer, as the eager serial does.
  const { outShape } = path.length === 0 ? layer.describe(inShape, '') : inLayer(path.join('.'), () => layer.describe(inShape, path.join('.')));
  out.push({ path, layer, inShape, outShape });
  return outShape;
};

/** The layers of `net` in running order, with their shapes; throws the network's own ShapeError when `inShape` does not fit. */
export const flattenLayers = (net: AnyLayer, inShape: Shape): PlannedLayer[] => {
  const out: PlannedLayer[] = [];
  flattenNetwork(net, inShape, [], out);
  return out;
};

const specAt = (p: PlannedLayer | undefined): LayerSpec | undefined => specOf(p?.layer);

// A padded cell that float32 cannot hold would compare differently in the kernel: such a pool runs eagerly.
const float32PadValue = (v: number): boolean => Math.fround(v) === v;

/**
 * The stages of a flattened network. A conv followed by a bias (tied or
 * untied) and/or a ReLU becomes one stage, as does a dense layer (which has
 * its own bias) followed by a ReLU; pooling, flatten and
 * lone biases and ReLUs are stages of their own; anything else is eager.
 */
export const planStages = (planned: readonly PlannedLayer[]): Stage[] => {
  const stages: Stage[] = [];
  for (let i = 0; i < planned.length; i++) {
    const at = planned[i]!;
    const spec = specOf(at.layer);
    const fuseBias = (): FusedBias | undefined => {
      const next = specAt(planned[i + 1]);
      return next?.op === 'bias' || next?.op === 'untiedBias' ? { at: planned[++i]!, untied: next.op === 'untiedBias' } : undefined;
    };
    const fuseRelu = (): PlannedLayer | undefined => (specAt(planned[i + 1])?.op === 'relu' ? planned[++i]! : undefined);
    switch (spec?.op) {
      case 'conv': {
        const [h, w, c] = at.inShape as [number, number, number];
        const [ho, wo] = at.outShape as [number, number, number];
        const g: WindowGeometry = { n: 1, h, w, c, kh: spec.size, kw: spec.size, stride: spec.stride, padTop: spec.pad.top, padLeft: spec.pad.left, ho, wo };
        const bias = fuseBias();
        stages.push({ kind: 'conv', at, g, filters: spec.filters, bias, relu: fuseRelu() });
        break;
      }
      case 'dense':
        stages.push({ kind: 'dense', at, inputs: at.inShape[0]!, units: spec.units, relu: fuseRelu() });
        break;
      case 'bias':
      case 'untiedBias':
        stages.push({ kind: 'bias', at, untied: spec.op === 'untiedBias', channels: spec.op === 'bias' ? at.inShape[at.inShape.length - 1]! : 0 });
        break;
      case 'relu':
        stages.push({ kind: 'relu', at });
        break;
      case 'flatten':
        stages.push({ kind: 'flatten', at });
        break;
      case 'maxPool': {
        if (!float32PadValue(spec.padValue)) {
          stages.push({ kind: 'eager', at });
          break;
        }
        const [h, w, c] = at.inShape as [number, number, number];
        const [ho, wo] = at.outShape as [number, number, number];
        const g: WindowGeometry = { n: 1, h, w, c, kh: spec.size, kw: spec.size, stride: spec.stride, padTop: spec.pad.top, padLeft: spec.pad.left, ho, wo };
        stages.push({ kind: 'maxPool', at, g, padValue: spec.padValue });
        break;
      }
      default:
        stages.push({ kind: 'eager', at });
    }
  }
  return stages;
};
