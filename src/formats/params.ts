// Saving and loading the parameters of any network: a safetensors file whose
// tensors are the parameters ("params.<path>") and whose __metadata__ holds
// what the network says about itself (its input shape, its table's layers,
// its parameters' names and shapes), so that a file of another network is
// refused with the first difference named, never loaded into the wrong one.
// The seed network's files from before the description existed (architecture
// "seed-cnn-v1" alone) read as that network's. Free of Node APIs.

import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as t from 'io-ts';
import { key } from '../core/random.ts';
import type { Result } from '../core/result.ts';
import { showShape } from '../core/shape.ts';
import type { Shape, Tensor } from '../core/tensor.ts';
import { isLayer, type Layer } from '../graph/layer.ts';
import { MNIST_SHAPE, seedNetwork } from '../graph/seed-network.ts';
import { fromLeaves, leaves, type Tree } from '../graph/tree.ts';
import { MAX_HEADER_DEPTH } from './limits.ts';
import { decodeSafetensors, encodeSafetensors, expectTensors, nestsDeeperThan, type Safetensors } from './safetensors.ts';

/** The `format` of every file {@link saveParams} writes (and the CLI's checkpoints). */
export const PARAMS_FORMAT = 'mnist-cnn-ts/1';

/** The label of the seed network's files: before the description was written, the only network a file could hold. */
export const SEED_ARCHITECTURE = 'seed-cnn-v1';

/** The metadata keys {@link saveParams} writes itself. */
const RESERVED = ['format', 'network', 'architecture'] as const;

/**
 * What a network says about itself on inputs of one shape: what a file of
 * its parameters records (metadata `network`, as JSON) and what loading
 * compares.
 */
export interface NetworkDescription {
  /** The input shape, without the batch axis. */
  readonly input: Shape;
  /** The rows of its table ({@link Layers.summarize}): name, kind and output shape of every layer, in order. */
  readonly layers: ReadonlyArray<{ readonly name: string; readonly kind: string; readonly output: Shape }>;
  /** Every parameter's dotted path and shape, in the record's order. */
  readonly params: ReadonlyArray<readonly [string, Shape]>;
}

/**
 * What `net` says about itself on inputs of `inShape` (without the batch
 * axis): its table's layers and its parameters' shapes, from the definition
 * alone (no data runs). Throws a ShapeError when the network cannot take
 * `inShape`.
 *
 * @example
 * const d = describeNetwork(seedNetwork(), MNIST_SHAPE);
 * d.layers[0];                    // { name: 'conv1', kind: 'conv 3x3/1 pad 1', output: [28, 28, 16] }
 * d.params[0];                    // ['conv1.w', [3, 3, 1, 16]]
 */
export const describeNetwork = <P extends Tree>(net: Layer<P>, inShape: Shape): NetworkDescription => ({
  input: [...inShape],
  layers: net.describe(inShape, '').rows.map((r) => ({ name: r.name, kind: r.kind, output: [...r.outShape] })),
  params: leaves(net.init(key(0), inShape)).map(([p, x]) => [p, [...x.shape]] as const),
});

const sameShape = (a: Shape, b: Shape): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * The first difference between the description in a file and a network's,
 * as one line ("layer dense1: the file's outputs [128], the network's
 * [64]"), or null when they are the same.
 */
export const firstDifference = (file: NetworkDescription, net: NetworkDescription): string | null => {
  if (!sameShape(file.input, net.input)) return `input: the file's is ${showShape(file.input)}, the network's ${showShape(net.input)}`;
  const counts = (what: string, a: number, b: number): string => `(the file has ${a} ${what}, the network ${b})`;
  for (let i = 0; i < Math.max(file.layers.length, net.layers.length); i++) {
    const f = file.layers[i], n = net.layers[i];
    if (f === undefined) return `layer ${n!.name}: the network has it, the file does not ${counts('layers', file.layers.length, net.layers.length)}`;
    if (n === undefined) return `layer ${f.name}: the file has it, the network does not ${counts('layers', file.layers.length, net.layers.length)}`;
    if (f.name !== n.name) return `layer ${i + 1}: the file's is ${f.name} (${f.kind}), the network's ${n.name} (${n.kind})`;
    if (f.kind !== n.kind) return `layer ${n.name}: the file's is ${f.kind}, the network's ${n.kind}`;
    if (!sameShape(f.output, n.output)) return `layer ${n.name}: the file's outputs ${showShape(f.output)}, the network's ${showShape(n.output)}`;
  }
  for (let i = 0; i < Math.max(file.params.length, net.params.length); i++) {
    const f = file.params[i], n = net.params[i];
    if (f === undefined) return `parameter ${n![0]}: the network has it, the file does not ${counts('parameters', file.params.length, net.params.length)}`;
    if (n === undefined) return `parameter ${f[0]}: the file has it, the network does not ${counts('parameters', file.params.length, net.params.length)}`;
    if (f[0] !== n[0]) return `parameter ${i + 1}: the file's is ${f[0]}, the network's ${n[0]}`;
    if (!sameShape(f[1], n[1])) return `parameter ${n[0]}: the file's is ${showShape(f[1])}, the network's ${showShape(n[1])}`;
  }
  return null;
};

/** The first difference as the refusal a loader gives. */
const anotherNetwork = (why: string): string => `the file holds another network's parameters: ${why}`;

const isDim = (u: unknown): u is number => typeof u === 'number' && Number.isSafeInteger(u) && u >= 0;
const Dims = new t.Type<number[], number[], unknown>(
  'a shape (non-negative integers)',
  (u): u is number[] => Array.isArray(u) && u.every(isDim),
  (u, c) => (Array.isArray(u) && u.every(isDim) ? t.success(u) : t.failure(u, c)),
  t.identity,
);
const isParamEntry = (u: unknown): u is [string, number[]] => Array.isArray(u) && u.length === 2 && typeof u[0] === 'string' && Dims.is(u[1]);
const ParamEntry = new t.Type<[string, number[]], [string, number[]], unknown>(
  '[path, shape]',
  isParamEntry,
  (u, c) => (isParamEntry(u) ? t.success(u) : t.failure(u, c)),
  t.identity,
);
const Description = t.type({
  input: Dims,
  layers: t.array(t.type({ name: t.string, kind: t.string, output: Dims })),
  params: t.array(ParamEntry),
});

// An untrusted value in a one-line message: quoted, and cut to a readable length.
const quoteShort = (v: string | undefined): string => {
  const q = JSON.stringify(v ?? null);
  return q.length > 60 ? `${q.slice(0, 57)}...` : q;
};

const parseDescription = (text: string): Result<NetworkDescription> => {
  const bad = (why: string): Result<NetworkDescription> => E.left(`the file's network description (metadata "network") ${why}`);
  if (nestsDeeperThan(text, MAX_HEADER_DEPTH)) return bad(`nests more than ${MAX_HEADER_DEPTH} levels deep`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return bad('is not valid JSON');
  }
  const r = Description.decode(json);
  if (E.isRight(r)) return E.right(r.right);
  const e = r.left[0];
  const at = e === undefined ? '' : e.context.map((c) => c.key).filter(Boolean).join('.');
  return bad(`is invalid${at === '' ? '' : ` at ${at}`}`);
};

/**
 * The network a file's metadata describes: its `network` (JSON), or, in a
 * seed network's file from before the description, its architecture alone.
 * Fails on a file of another program or format, or a description that does
 * not parse.
 */
export const describedIn = (metadata: Readonly<Record<string, string>>): Result<NetworkDescription> => {
  const m = metadata;
  if (m.format !== PARAMS_FORMAT) return E.left(`not a file of mnist-cnn-ts parameters (format ${quoteShort(m.format)}, expected "${PARAMS_FORMAT}")`);
  if (m.architecture !== undefined && m.architecture !== SEED_ARCHITECTURE) {
    return E.left(`architecture ${quoteShort(m.architecture)} is not "${SEED_ARCHITECTURE}", the only one a file names (others are described in its metadata "network")`);
  }
  if (m.network !== undefined) return parseDescription(m.network);
  if (m.architecture === SEED_ARCHITECTURE) return E.right(describeNetwork(seedNetwork(), MNIST_SHAPE));
  return E.left('the file does not describe its network (no metadata "network")');
};

/**
 * The description of `net` on `inShape`, or, without one, on the input
 * shape the file's description names; a network that cannot take that
 * input is another network.
 */
const describeFor = <P extends Tree>(net: Layer<P>, file: NetworkDescription, inShape: Shape | undefined): Result<NetworkDescription> => {
  const shape = inShape ?? file.input;
  try {
    return E.right(describeNetwork(net, shape));
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    return E.left(`${inShape === undefined ? `the network cannot take the file's input ${showShape(shape)}` : `the network cannot take inputs of ${showShape(shape)}`}: ${why}`);
  }
};

/**
 * Checks that the file whose metadata is `metadata` holds `net`'s
 * parameters (on inputs of `inShape`, or of the file's own input shape):
 * the network's description, or why not in one line naming the first
 * difference. What {@link loadParams} and the CLI's checkpoints check.
 */
export const checkNetwork = <P extends Tree>(net: Layer<P>, metadata: Readonly<Record<string, string>>, inShape?: Shape): Result<NetworkDescription> =>
  pipe(
    describedIn(metadata),
    E.chain((file) =>
      pipe(
        describeFor(net, file, inShape),
        E.chain((mine) => {
          const d = firstDifference(file, mine);
          return d === null ? E.right(mine) : E.left(anotherNetwork(d));
        }),
      )),
  );

/** Every value finite; else the first that is not, named. */
export const finiteTensors = (tensors: ReadonlyMap<string, Tensor>): Result<void> => {
  for (const [name, x] of tensors) {
    const i = x.data.findIndex((v) => !Number.isFinite(v));
    if (i >= 0) return E.left(`tensor "${name}" holds a non-finite value (${x.data[i]} at index ${i})`);
  }
  return E.right(undefined);
};

/** The tensor names of a parameter record in a file: `params.<path>`. */
export const paramTensorName = (path: string): string => `params.${path}`;

/**
 * `net`'s parameter record from a decoded file whose description matched
 * (`description`): exactly its parameters, finite, under `params.`; other
 * tensors (a checkpoint's optimizer state) are left alone.
 */
export const paramsFrom = <P extends Tree>(net: Layer<P>, description: NetworkDescription, file: Safetensors): Result<P> => {
  const found = new Map([...file.tensors].filter(([name]) => name.startsWith('params.')));
  return pipe(
    expectTensors(found, description.params.map(([p, s]) => [paramTensorName(p), s] as const)),
    E.chainFirst(finiteTensors),
    E.map(() => fromLeaves(net.init(key(0), description.input), (p) => found.get(paramTensorName(p))!)),
  );
};

/** A caller's mistake, not bad input: `net` is not a layer. */
const expectLayer = (what: string, net: unknown): void => {
  if (!isLayer(net)) throw new RangeError(`${what}: net must be a layer (describe, init and apply), such as serial({ ... })`);
};

/** The options of {@link saveParams}. */
export interface SaveOptions {
  /** The network's input shape, without the batch axis ([28, 28, 1] for MNIST): the description is of the network on it. */
  readonly inShape: Shape;
  /** More metadata strings to keep in the file (a note, a date); `format`, `network` and `architecture` are the library's own. */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** The options of {@link loadParams}. */
export interface LoadOptions {
  /** The input shape the network is to take; by default, the one the file names. */
  readonly inShape?: Shape;
}

/** The metadata of a file of `net`'s parameters: the format, the description and (for the seed network) its architecture label, which older readers look for. */
export const paramsMetadata = (description: NetworkDescription): Record<string, string> => {
  const seed = firstDifference(describeNetwork(seedNetwork(), MNIST_SHAPE), description) === null;
  return { format: PARAMS_FORMAT, ...(seed ? { architecture: SEED_ARCHITECTURE } : {}), network: JSON.stringify(description) };
};

/**
 * `params`, checked against `net` on `inShape`: the description, or a
 * RangeError naming the first parameter that does not fit or is not finite.
 */
export const checkParams = <P extends Tree>(what: string, net: Layer<P>, params: P, inShape: Shape): NetworkDescription => {
  const description = describeNetwork(net, inShape);
  const got = new Map(leaves(params).map(([p, x]) => [paramTensorName(p), x] as const));
  const fits = pipe(expectTensors(got, description.params.map(([p, s]) => [paramTensorName(p), s] as const)), E.chainFirst(finiteTensors));
  if (E.isLeft(fits)) throw new RangeError(`${what}: the parameters do not fit the network: ${fits.left.replace(/"params\./g, '"')}`);
  return description;
};

/**
 * A file of `net`'s parameters: safetensors, each parameter an F32 tensor
 * named `params.<path>` (`params.conv1.w`), with the network's description
 * (input shape, layers, parameter shapes) in the metadata `network` (JSON)
 * and `format` "mnist-cnn-ts/1". {@link loadParams} reads it back; Python's
 * `safetensors` and other tools read it too. Throws a RangeError when
 * `params` do not fit `net` (a parameter missing, extra, of another shape
 * or not finite) or `metadata` names a key of the library's own.
 *
 * @example
 * const net = serial({ flat: layers.flatten(), fc: layers.dense({ units: 10 }) });
 * const params = net.init(key(0), [28, 28, 1]);
 * const bytes = saveParams(net, params, { inShape: [28, 28, 1], metadata: { note: 'epoch 3' } });
 * const back = loadParams(net, bytes);
 * if (back._tag === 'Right') toArray(back.right.fc.b);   // the saved biases
 */
export const saveParams = <P extends Tree>(net: Layer<P>, params: P, options: SaveOptions): Uint8Array => {
  expectLayer('saveParams', net);
  if (options === undefined || options === null || !Array.isArray(options.inShape)) {
    throw new RangeError('saveParams: options.inShape is required: the input shape without the batch axis, e.g. [28, 28, 1]');
  }
  const extra = options.metadata ?? {};
  const reserved = RESERVED.find((k) => Object.hasOwn(extra, k));
  if (reserved !== undefined) throw new RangeError(`saveParams: metadata "${reserved}" is the library's own; choose another key`);
  const description = checkParams('saveParams', net, params, options.inShape);
  return encodeSafetensors(
    leaves(params).map(([p, x]) => [paramTensorName(p), x] as const),
    { ...paramsMetadata(description), ...extra },
  );
};

/**
 * `net`'s parameters from a file {@link saveParams} wrote (or a checkpoint
 * of the CLI: its optimizer state is ignored; or a seed network's weights
 * file of an earlier version). Fails, with one line, when the bytes are not
 * such a file, the file holds another network's parameters (naming the first
 * difference: "layer dense1: the file's outputs [128], the network's [64]"),
 * or a parameter is missing, misshapen or not finite. `inShape` (optional)
 * is the input the network is to take; by default the file's.
 *
 * @example
 * const r = loadParams(seedNetwork(), bytes);
 * if (r._tag === 'Left') console.error(r.left);
 * else console.log(r.right.dense2.b.shape);   // [10]
 */
export const loadParams = <P extends Tree>(net: Layer<P>, bytes: Uint8Array, options: LoadOptions = {}): Result<P> => {
  expectLayer('loadParams', net);
  if (!(bytes instanceof Uint8Array)) throw new RangeError(`loadParams: bytes must be a Uint8Array (a file's contents), got ${bytes === null ? 'null' : typeof bytes}`);
  return pipe(
    decodeSafetensors(bytes),
    E.chain((file) =>
      pipe(
        checkNetwork(net, file.metadata, options.inShape),
        E.chain((description) => paramsFrom(net, description, file)),
      )),
  );
};
