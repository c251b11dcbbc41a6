// Weights as they cross between page and worker: one flat Float32Array in
// the layout of the network's parameter record (the library's packing, as
// the data-parallel workers use it).

import { layoutOf, packTree, unpackTree } from '../graph/packing.ts';
import type { SeedParams } from '../graph/index.ts';
import { paramsTemplate } from '../program/recipe/weights.ts';
import type { PackedParams } from './protocol.ts';

const template = paramsTemplate();
const layout = layoutOf(template);

export const pack = (p: SeedParams): PackedParams => packTree(p, layout);

export const unpack = (data: PackedParams): SeedParams => unpackTree(layout, data, { copy: false, template });
