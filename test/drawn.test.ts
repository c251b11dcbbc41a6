// The shipped model reads digits drawn the way people draw them, not the way
// MNIST was made: off-centre, hairline and heavy strokes, turned, slanted,
// large and small (test/fixtures/drawn, made by scripts/draw-digits.ts).

import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('drawn digits', () => {
  it('predict reads every one right with models/default.safetensors', () => {
    const dir = join('test', 'fixtures', 'drawn');
    const files = readdirSync(dir).filter((f) => f.endsWith('.png')).sort();
    expect(files.length).toBeGreaterThanOrEqual(10);
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/train.ts', 'predict', 'models/default.safetensors', ...files.map((f) => join(dir, f))], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    for (const f of files) {
      const line = r.stdout.split('\n').find((l) => l.startsWith(join(dir, f)));
      // The file name starts with the digit drawn; the first class printed is the prediction.
      expect(line, f).toMatch(new RegExp(`: ${f[0]} \\(`));
    }
  });
});
