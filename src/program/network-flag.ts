// The CLI's --network: a user's network from an ES module whose default
// export is a layer (or a function of no arguments returning one), in place
// of the seed network, for train, evaluate, predict, explain and export. The
// path is resolved from the current folder and imported by file URL, by this
// thread and by the training run's worker threads alike (network-module.ts).
// Every refusal is one line naming the flag and the file.

import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { formatTable, MNIST_SHAPE, summarize, type Layer, type Tree } from '../index.ts';
import type { NetworkSource } from '../parallel/protocol.ts';
import { loadNetwork } from '../platform/network-module.ts';

/** A user's network, ready: the layer, where workers import it from, and its table on MNIST's images. */
export interface UserNetwork {
  readonly net: Layer<Tree>;
  readonly source: NetworkSource;
  /** The flag as given, for messages and hints. */
  readonly path: string;
  readonly table: string;
}

const firstLine = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

/** The network of `--network path`, checked to take a 28x28x1 image and give 10 logits, or why not in one line. */
export const loadNetworkFlag = (path: string): TE.TaskEither<string, UserNetwork> => async () => {
  const bad = (why: string) => ({ _tag: 'Left' as const, left: `--network ${path}: ${why}` });
  const file = resolve(path);
  if (!existsSync(file)) return bad('no such file');
  if (!statSync(file).isFile()) return bad('not a file (give the path of an ES module, such as ./my-net.mjs)');
  const source: NetworkSource = { kind: 'module', url: pathToFileURL(file).href, export: 'default' };
  let net: Layer<Tree>;
  try {
    net = await loadNetwork(source);
  } catch (err) {
    const why = firstLine(err).replace(`${source.url}: `, '');
    return bad(why.startsWith('the module has') || why.startsWith('export "') ? why : `cannot import it as an ES module: ${why}`);
  }
  let table: string;
  try {
    const s = summarize(net, MNIST_SHAPE);
    if (s.outShape.length !== 1 || s.outShape[0] !== 10) return bad(`the network gives [${s.outShape.join(', ')}] for an image; the CLI needs [10], one logit per digit`);
    table = formatTable(s, MNIST_SHAPE);
  } catch (err) {
    return bad(`the network cannot take a 28x28x1 image: ${firstLine(err)}`);
  }
  return { _tag: 'Right' as const, right: { net, source, path, table } };
};
