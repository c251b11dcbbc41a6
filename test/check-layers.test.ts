// The layer check of `npm run typecheck` (scripts/check-layers.ts) passes on
// the tree and catches each kind of wrong arrow.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { partOf, violations } from '../scripts/check-layers.ts';

const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));

describe('the layer-import check (scripts/check-layers.ts)', () => {
  it('every source file belongs to a layer, and the tree has no wrong arrow', () => {
    const files = walk('src').filter((f) => f.endsWith('.ts'));
    expect(files.filter((f) => partOf(f) === null)).toEqual([]);
    expect(violations(new Map(files.map((f) => [f, readFileSync(f, 'utf8')])))).toEqual([]);
  });

  it.each([
    ['src/graph/x.ts', "import { parseCommand } from '../program/flags.ts';", /library code may not import program code/],
    ['src/ops/x.ts', "import { readFile } from 'node:fs/promises';", /runs in a browser: no Node modules/],
    ['src/training/x.ts', "import { PNG } from 'pngjs';", /bundles only fp-ts and io-ts/],
    ['src/formats/x.ts', "export { writeFileAtomic } from '../platform/atomic-write.ts';", /library code may not import platform code/],
    ['src/platform/x.ts', "import { usage } from '../program/flags.ts';", /platform code may not import program code/],
    ['src/demo/x.ts', "import { parallelGradients } from '../platform/data-parallel.ts';", /page code may not import platform code/],
    ['src/program/x.ts', "import { pad } from '../demo/pad.ts';", /program code may not import page code/],
  ])('%s: %s is refused', (file, line, why) => {
    const v = violations(new Map([[file, `// x\n${line}\n`]]));
    expect(v).toHaveLength(1);
    expect(v[0]).toMatch(why);
  });
});
