// A network from where a worker or the CLI is told to find it: the seed
// network, or an export of an ES module (a user's own network, by file URL).
// One loader for the data-parallel workers, the training program's worker
// thread and the CLI's --network, so all three take the same modules.

import { seedNetwork, type Layer, type Tree } from '../graph/index.ts';
import { isLayer } from '../graph/layer.ts';
import type { NetworkSource } from '../parallel/protocol.ts';

/**
 * The network `source` names. A module's export may be a layer or a
 * function of no arguments returning one. Rejects, with a one-line message
 * naming the URL and export, when the module has no such export or it is
 * not a layer; an import that fails rejects with the import's error.
 */
export const loadNetwork = async (source: NetworkSource): Promise<Layer<Tree>> => {
  if (source.kind === 'seed') return seedNetwork({ init: source.init }) as unknown as Layer<Tree>;
  const mod = (await import(source.url)) as Record<string, unknown>;
  if (!(source.export in mod)) {
    throw new Error(`${source.url}: the module has no ${source.export === 'default' ? 'default export' : `export "${source.export}"`} (it should export a layer, such as serial({ ... }))`);
  }
  const v = mod[source.export];
  const net = typeof v === 'function' ? (v as () => unknown)() : v;
  if (!isLayer(net)) throw new Error(`${source.url}: export "${source.export}" is not a layer (an object with describe, init and apply), nor a function returning one`);
  return net;
};
