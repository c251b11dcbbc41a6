// `npm run build`: the library as a package. esbuild bundles the two entry
// points ('mnist-cnn-ts' and 'mnist-cnn-ts/node') and the gradient worker
// into ES modules in dist/lib, with the fp-ts and io-ts code the library
// uses inside them, so the installed package depends on nothing; tsc writes
// the declarations into dist/types, whose relative imports are then
// rewritten from .ts to .js (tsc keeps the source's extensions there).

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const lib = join(root, 'dist', 'lib');
const types = join(root, 'dist', 'types');
rmSync(lib, { recursive: true, force: true });
rmSync(types, { recursive: true, force: true });

// fp-ts's ES module build, wherever 'fp-ts/lib/...' is imported, so that one
// copy is bundled and unused functions are dropped.
const fpTsDir = dirname(createRequire(import.meta.url).resolve('fp-ts/package.json'));
const fpTsEs6: Plugin = {
  name: 'fp-ts-es6',
  setup: (b) => {
    b.onResolve({ filter: /^fp-ts\/lib\// }, (args) => ({ path: join(fpTsDir, 'es6', args.path.slice('fp-ts/lib/'.length).replace(/(\.js)?$/, '.js')) }));
  },
};

await build({
  entryPoints: { index: 'src/index.ts', node: 'src/node.ts', 'grad-worker': 'src/platform/grad-worker.ts', 'kernel-worker': 'src/platform/kernel-worker.ts' },
  outdir: lib,
  absWorkingDir: root,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'neutral',
  mainFields: ['module', 'main'],
  external: ['node:*'],
  target: 'es2022',
  chunkNames: 'chunk-[hash]',
  sourcemap: true,
  legalComments: 'eof',
  plugins: [fpTsEs6],
  logLevel: 'warning',
});

execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });

const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
for (const f of walk(types)) {
  const text = readFileSync(f, 'utf8');
  const fixed = text.replace(/((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]+)\.ts(['"])/g, '$1$2.js$3');
  if (fixed !== text) writeFileSync(f, fixed);
}
// The published declarations must name no package: the library installs none.
const seen = new Set<string>();
const visit = (file: string): void => {
  if (seen.has(file)) return;
  seen.add(file);
  for (const [, spec] of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
    if (spec!.startsWith('.')) visit(join(dirname(file), spec!.replace(/\.js$/, '.d.ts')));
    else if (!spec!.startsWith('node:')) throw new Error(`${file}: the published types import "${spec}", which the package does not install`);
  }
};
visit(join(types, 'index.d.ts'));
visit(join(types, 'node.d.ts'));
// Declarations no entry reaches (the program's codecs, file helpers) are not the package's: they go.
for (const f of walk(types)) if (!seen.has(f)) rmSync(f);

const size = (dir: string): number => walk(dir).reduce((s, f) => s + statSync(f).size, 0);
console.log(`dist/lib ${(size(lib) / 1024).toFixed(0)} KiB (${walk(lib).length} files), dist/types ${(size(types) / 1024).toFixed(0)} KiB`);
