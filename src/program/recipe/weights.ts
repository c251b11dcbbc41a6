// The trained weights alone: what inference (evaluate, predict, explain, the
// demo page) needs from a file. A weights file is the library's file of a
// network's parameters (formats/params.ts: the "params.*" tensors and the
// network's description) with kind "weights" and a note; a full training
// checkpoint is also accepted (its optimizer state and run state are
// ignored). Either way the file's network must be the one asked for. Free of
// Node APIs: the demo page loads files with it.

import * as E from 'fp-ts/lib/Either.js';
import type { Result } from '../../core/result.ts';
import { key } from '../../core/random.ts';
import type { Tensor } from '../../core/tensor.ts';
import { MNIST_SHAPE, seedNetwork, type Layer, type SeedParams, type Tree } from '../../graph/index.ts';
import { finiteTensors, loadParams, PARAMS_FORMAT, saveParams, SEED_ARCHITECTURE } from '../../formats/params.ts';

/** The seed network's label in a file (older files name their network by it alone). */
export const ARCHITECTURE = SEED_ARCHITECTURE;

/** The format tag of every file this program writes. */
export const FORMAT = PARAMS_FORMAT;

/** Inference does not depend on the initialisation scheme: the seed network as weights files hold it. */
const SEED = seedNetwork({ init: 'he' });

/** A parameter record of the network's shapes (they do not depend on the initialisation). */
export const paramsTemplate = (): SeedParams => SEED.init(key(0), MNIST_SHAPE);

/**
 * A weights file of `net` (by default the seed network): its parameters as
 * `params.<path>` F32 tensors, the network's description, `kind` "weights"
 * and `note` (when given) in the metadata. What {@link decodeWeights}, the
 * CLI and the demo page load.
 */
export const encodeWeights = <P extends Tree = SeedParams>(params: P, note = '', net: Layer<P> = SEED as unknown as Layer<P>): Uint8Array =>
  saveParams(net, params, { inShape: MNIST_SHAPE, metadata: { kind: 'weights', ...(note === '' ? {} : { note }) } });

/** Every value finite; Adam's second moments (opt.v.*) never negative. */
export const soundTensors = (tensors: ReadonlyMap<string, Tensor>): Result<void> => {
  const finite = finiteTensors(tensors);
  if (E.isLeft(finite)) return finite;
  for (const [name, t] of tensors) {
    if (!name.startsWith('opt.v.')) continue;
    const j = t.data.findIndex((v) => v < 0);
    if (j >= 0) return E.left(`tensor "${name}" (Adam's second moment) holds a negative value (${t.data[j]} at index ${j})`);
  }
  return E.right(undefined);
};

/**
 * `net`'s parameters (by default the seed network's) from a weights file or
 * a training checkpoint (its other tensors are ignored), on MNIST's images.
 * Fails when the file is not safetensors, not this program's format, holds
 * another network, or lacks a parameter, has one of the wrong shape or
 * holding a non-finite value.
 */
export const decodeWeights = <P extends Tree = SeedParams>(bytes: Uint8Array, net: Layer<P> = SEED as unknown as Layer<P>): Result<P> =>
  loadParams(net, bytes, { inShape: MNIST_SHAPE });
