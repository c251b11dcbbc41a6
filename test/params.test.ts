// saveParams / loadParams: any network's parameters round-trip bit for bit
// with the network's description in the metadata; a file of another network
// is refused with one line naming the first difference; the seed network's
// weights files from before the description still load; corrupt bytes are
// refused, never loaded. (docs/library.md's saving program runs in
// test/docs-blocks.test.ts.)

import { readFileSync } from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { key } from '../src/core/random.ts';
import { tensor } from '../src/core/tensor.ts';
import { leaves, mapTree, MNIST_SHAPE, seedNetwork, serial } from '../src/graph/index.ts';
import * as layers from '../src/graph/layers.ts';
import { decodeSafetensors, encodeSafetensors } from '../src/formats/safetensors.ts';
import { describeNetwork, firstDifference, loadParams, saveParams, type NetworkDescription } from '../src/formats/params.ts';
import { bits } from './helpers.ts';

const mlp = (hidden: number) => serial({
  flat: layers.flatten(),
  hidden: layers.dense({ units: hidden }),
  relu: layers.relu(),
  out: layers.dense({ units: 10 }),
});
const net = mlp(16);
const params = net.init(key(3), MNIST_SHAPE);
const bytes = saveParams(net, params, { inShape: MNIST_SHAPE, metadata: { note: 'hi' } });

const refusal = <A>(r: E.Either<string, A>): string => {
  if (E.isRight(r)) throw new Error('expected a refusal');
  expect(r.left).toMatch(/^[^\n\r]+$/);
  return r.left;
};
const metadataOf = (b: Uint8Array): Record<string, string> => {
  const f = decodeSafetensors(b);
  if (E.isLeft(f)) throw new Error(f.left);
  return f.right.metadata;
};
/** `bytes` with its metadata changed by `edit`. */
const withMetadata = (b: Uint8Array, edit: (m: Record<string, string>) => Record<string, string>): Uint8Array => {
  const f = decodeSafetensors(b);
  if (E.isLeft(f)) throw new Error(f.left);
  return encodeSafetensors([...f.right.tensors], edit(f.right.metadata));
};

describe('saveParams / loadParams', () => {
  it('round-trips a network of its own bit for bit, with the description in the metadata', () => {
    const back = loadParams(net, bytes);
    if (E.isLeft(back)) throw new Error(back.left);
    expect(leaves(back.right).map(([p, x]) => [p, x.shape, bits(x.data)])).toEqual(leaves(params).map(([p, x]) => [p, x.shape, bits(x.data)]));
    const m = metadataOf(bytes);
    expect(m.format).toBe('mnist-cnn-ts/1');
    expect(m.note).toBe('hi');
    expect(m.architecture).toBeUndefined();
    expect(JSON.parse(m.network!)).toEqual(JSON.parse(JSON.stringify(describeNetwork(net, MNIST_SHAPE))));
    expect(JSON.parse(m.network!).layers[1]).toEqual({ name: 'hidden', kind: 'dense + bias', output: [16] });
    // The same input shape given explicitly loads too.
    expect(E.isRight(loadParams(net, bytes, { inShape: [28, 28, 1] }))).toBe(true);
  });

  it("refuses another network's file, naming the first difference", () => {
    expect(refusal(loadParams(mlp(32), bytes))).toBe("the file holds another network's parameters: layer hidden: the file's outputs [16], the network's [32]");
    const renamed = serial({ flat: layers.flatten(), inner: layers.dense({ units: 16 }), relu: layers.relu(), out: layers.dense({ units: 10 }) });
    expect(refusal(loadParams(renamed, bytes))).toBe("the file holds another network's parameters: layer 2: the file's is hidden (dense + bias), the network's inner (dense + bias)");
    const longer = serial({ flat: layers.flatten(), hidden: layers.dense({ units: 16 }), relu: layers.relu(), out: layers.dense({ units: 10 }), act: layers.relu() });
    expect(refusal(loadParams(longer, bytes))).toMatch(/layer act: the network has it, the file does not \(the file has 4 layers, the network 5\)$/);
    expect(refusal(loadParams(seedNetwork(), bytes))).toMatch(/^the file holds another network's parameters: layer 1: the file's is flat \(flatten\), the network's conv1/);
    expect(refusal(loadParams(net, bytes, { inShape: [14, 14, 4] }))).toBe("the file holds another network's parameters: input: the file's is [28, 28, 1], the network's [14, 14, 4]");
    // A network that cannot take the input at all.
    const conv = serial({ c: layers.conv({ filters: 2, size: 5 }) });
    expect(refusal(loadParams(conv, bytes, { inShape: [2, 2, 1] }))).toMatch(/^the network cannot take inputs of \[2, 2, 1\]: /);
  });

  it('names a parameter that differs when the layers agree', () => {
    const file: NetworkDescription = describeNetwork(net, MNIST_SHAPE);
    const mine: NetworkDescription = { ...file, params: file.params.map(([p, s]) => [p, p === 'out.w' ? [16, 5] : s] as const) };
    expect(firstDifference(file, mine)).toBe("parameter out.w: the file's is [16, 10], the network's [16, 5]");
    expect(firstDifference(file, { ...file, params: file.params.slice(0, 3) })).toMatch(/^parameter out.b: the file has it, the network does not/);
    expect(firstDifference(file, file)).toBeNull();
  });

  it("reads the seed network's weights file of an earlier version (architecture seed-cnn-v1, no description)", () => {
    const legacy = new Uint8Array(readFileSync('models/default.safetensors'));
    expect(metadataOf(legacy).network).toBeUndefined();
    const r = loadParams(seedNetwork(), legacy);
    if (E.isLeft(r)) throw new Error(r.left);
    expect(r.right.dense2.b.shape).toEqual([10]);
    expect(refusal(loadParams(net, legacy))).toMatch(/^the file holds another network's parameters: layer 1: the file's is conv1/);
    // Saved again, it is the same seed network's file: older readers find its architecture.
    const again = metadataOf(saveParams(seedNetwork(), r.right, { inShape: MNIST_SHAPE }));
    expect(again.architecture).toBe('seed-cnn-v1');
  });

  it('refuses corrupt bytes, foreign metadata and non-finite parameters in one line', () => {
    refusal(loadParams(net, bytes.subarray(0, 5)));
    refusal(loadParams(net, bytes.subarray(0, bytes.length - 4)));
    const flipped = bytes.slice();
    flipped[8] = 0x5b;
    refusal(loadParams(net, flipped));
    expect(refusal(loadParams(net, withMetadata(bytes, (m) => ({ ...m, format: 'other/2' }))))).toMatch(/format "other\/2", expected "mnist-cnn-ts\/1"/);
    expect(refusal(loadParams(net, withMetadata(bytes, ({ network: _n, ...m }) => m)))).toMatch(/does not describe its network/);
    expect(refusal(loadParams(net, withMetadata(bytes, (m) => ({ ...m, network: '{"input":[28,28,1],' }))))).toMatch(/"network"\) is not valid JSON/);
    expect(refusal(loadParams(net, withMetadata(bytes, (m) => ({ ...m, network: '{"input":[-1],"layers":[],"params":[]}' }))))).toMatch(/"network"\) is invalid at input/);
    expect(refusal(loadParams(net, withMetadata(bytes, (m) => ({ ...m, network: '['.repeat(100) + ']'.repeat(100) }))))).toMatch(/nests more than/);
    expect(refusal(loadParams(net, withMetadata(bytes, (m) => ({ ...m, architecture: 'resnet50' }))))).toMatch(/architecture "resnet50"/);
    const nan = saveParams(net, params, { inShape: MNIST_SHAPE });
    const f = decodeSafetensors(nan);
    if (E.isLeft(f)) throw new Error(f.left);
    const poisoned = encodeSafetensors([...f.right.tensors].map(([n, x]) => [n, n === 'params.out.b' ? tensor([10], new Float32Array(10).fill(NaN)) : x] as const), f.right.metadata);
    expect(refusal(loadParams(net, poisoned))).toMatch(/tensor "params.out.b" holds a non-finite value/);
    const missing = encodeSafetensors([...f.right.tensors].filter(([n]) => n !== 'params.hidden.w'), f.right.metadata);
    expect(refusal(loadParams(net, missing))).toMatch(/missing tensor "params.hidden.w"/);
  });

  it('refuses to save parameters that do not fit the network, or metadata keys of its own; names what a caller passed wrong', () => {
    expect(() => saveParams(mlp(32), params, { inShape: MNIST_SHAPE })).toThrow(/saveParams: the parameters do not fit the network: tensor "hidden.w" has shape \[784, 16\], expected \[784, 32\]/);
    expect(() => saveParams(net, mapTree(params, (x) => tensor(x.shape, new Float32Array(x.data.length).fill(Infinity))), { inShape: MNIST_SHAPE })).toThrow(/non-finite/);
    expect(() => saveParams(net, params, { inShape: MNIST_SHAPE, metadata: { network: 'mine' } })).toThrow(/metadata "network" is the library's own/);
    expect(() => saveParams(net, params, undefined as never)).toThrow(/options.inShape is required/);
    expect(() => saveParams({} as never, params, { inShape: MNIST_SHAPE })).toThrow(/saveParams: net must be a layer/);
    expect(() => loadParams(net, 'bytes' as never)).toThrow(/loadParams: bytes must be a Uint8Array/);
  });
});
