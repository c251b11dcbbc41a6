// The trained weights alone: what inference (evaluate, predict, explain, the
// demo page) needs from a file. A weights file is a safetensors file with the
// "params.*" tensors and a short __metadata__; a full training checkpoint is
// also accepted (its optimizer state and run state are ignored). Either way
// every parameter is checked against the network's own shapes. Free of Node
// APIs: the demo page loads files with it.

import * as E from 'fp-ts/lib/Either.js';
import type { Result } from '../../core/result.ts';
import { pipe } from 'fp-ts/lib/function.js';
import { key } from '../../core/random.ts';
import type { Tensor } from '../../core/tensor.ts';
import { fromLeaves, leaves, MNIST_SHAPE, seedNetwork, type SeedParams } from '../../graph/index.ts';
import { decodeSafetensors, encodeSafetensors, expectTensors } from '../../formats/safetensors.ts';

/** The network a file's tensors belong to. */
export const ARCHITECTURE = 'seed-cnn-v1';

/** The format tag of every file this program writes. */
export const FORMAT = 'mnist-cnn-ts/1';

/** A parameter record of the network's shapes (they do not depend on the initialisation). */
export const paramsTemplate = (): SeedParams => seedNetwork({ init: 'he' }).init(key(0), MNIST_SHAPE);

// An untrusted value in a one-line message: quoted, and cut to a readable length.
const quoteShort = (v: string | undefined): string => {
  const q = JSON.stringify(v ?? null);
  return q.length > 60 ? `${q.slice(0, 57)}...` : q;
};

/** A file written by this program for this network, judged by its metadata. */
export const checkOrigin = (m: Readonly<Record<string, string>>): Result<void> =>
  m.format !== FORMAT
    ? E.left(`not a checkpoint of this program (format ${quoteShort(m.format)}, expected "${FORMAT}")`)
    : m.architecture !== ARCHITECTURE
      ? E.left(`checkpoint architecture ${quoteShort(m.architecture)} is not "${ARCHITECTURE}"`)
      : E.right(undefined);

/**
 * A weights file of the seed network: its parameters as `params.<layer>.<name>`
 * F32 tensors, with the format, architecture and `note` (when given) in the
 * metadata. What {@link decodeWeights}, the CLI and the demo page load.
 */
export const encodeWeights = (params: SeedParams, note = ''): Uint8Array =>
  encodeSafetensors(
    leaves(params).map(([p, x]) => [`params.${p}`, x] as const),
    { format: FORMAT, architecture: ARCHITECTURE, kind: 'weights', ...(note === '' ? {} : { note }) },
  );

/** Every value finite; Adam's second moments (opt.v.*) never negative. */
export const soundTensors = (tensors: ReadonlyMap<string, Tensor>): Result<void> => {
  for (const [name, t] of tensors) {
    const i = t.data.findIndex((v) => !Number.isFinite(v));
    if (i >= 0) return E.left(`tensor "${name}" holds a non-finite value (${t.data[i]} at index ${i})`);
    if (name.startsWith('opt.v.')) {
      const j = t.data.findIndex((v) => v < 0);
      if (j >= 0) return E.left(`tensor "${name}" (Adam's second moment) holds a negative value (${t.data[j]} at index ${j})`);
    }
  }
  return E.right(undefined);
};

/**
 * The seed network's parameters from a weights file or a training
 * checkpoint (its other tensors are ignored). Fails when the file is not
 * safetensors, not this program's format and architecture, or lacks a
 * parameter, has one of the wrong shape or holding a non-finite value.
 */
export const decodeWeights = (bytes: Uint8Array): Result<SeedParams> =>
  pipe(
    decodeSafetensors(bytes),
    E.chainFirst((file) => checkOrigin(file.metadata)),
    E.chain((file) => {
      const shapes = paramsTemplate();
      const params = new Map<string, Tensor>([...file.tensors].filter(([name]) => name.startsWith('params.')));
      return pipe(
        expectTensors(params, leaves(shapes).map(([p, x]) => [`params.${p}`, x.shape] as const)),
        E.chainFirst(soundTensors),
        E.map((found) => fromLeaves(shapes, (p) => found.get(`params.${p}`)!)),
      );
    }),
  );
