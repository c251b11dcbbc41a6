// `npm run typecheck` runs this: the arrows between the three layers point
// one way. The library (the package 'mnist-cnn-ts') imports only itself and
// no Node module; the platform (Node-only: files, workers, servers) imports
// the library and itself; the program (argv, commands, reports, the demo
// server) may import all of them, and nothing imports it, except that its
// recipes (src/program/recipe/: presets, the network a config means, the
// weights and checkpoint formats) are Node-free and shared with the demo
// page, which imports only those and the library.
// tsconfig.lib.json checks the "no Node" half with types; this checks the
// imports themselves, naming the file and the import.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Part = 'library' | 'platform' | 'recipe' | 'program' | 'page';

const LIBRARY = ['src/index.ts', 'src/api/', 'src/core/', 'src/ops/', 'src/graph/', 'src/compile/', 'src/parallel/', 'src/training/', 'src/formats/', 'src/pictures/'];
const PLATFORM = ['src/node.ts', 'src/platform/'];
// The recipes, presets and file formats of this program's runs: Node-free,
// so the page (a second program, in the browser) trains with them too.
const RECIPE = ['src/program/recipe/'];
const PROGRAM = ['src/train.ts', 'src/program/', 'src/demo/server.ts'];
const PAGE = ['src/demo/'];

export const partOf = (file: string): Part | null => {
  const is = (prefixes: readonly string[]): boolean => prefixes.some((p) => file === p || (p.endsWith('/') && file.startsWith(p)));
  return is(LIBRARY) ? 'library' : is(PLATFORM) ? 'platform' : is(RECIPE) ? 'recipe' : is(PROGRAM) ? 'program' : is(PAGE) ? 'page' : null;
};

const allowed: Record<Part, readonly Part[]> = {
  library: ['library'],
  platform: ['library', 'platform'],
  recipe: ['library', 'recipe'],
  program: ['library', 'platform', 'recipe', 'program'],
  page: ['library', 'recipe', 'page'],
};

/** Every import that breaks a rule, as "file: imports X (why)". `files` maps repo-relative paths to source text. */
export const violations = (files: ReadonlyMap<string, string>): string[] => {
  const out: string[] = [];
  for (const [file, text] of files) {
    const from = partOf(file);
    if (from === null) continue;
    for (const [, spec] of text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]/gm)) {
      if (spec!.startsWith('.')) {
        const target = relative('.', resolve(dirname(file), spec!)).split('\\').join('/');
        const to = partOf(target);
        if (to !== null && !allowed[from].includes(to)) out.push(`${file}: imports ${spec} (${from} code may not import ${to} code)`);
      } else if (from === 'library' || from === 'recipe' || from === 'page') {
        if (spec!.startsWith('node:')) out.push(`${file}: imports ${spec} (${from} code runs in a browser: no Node modules)`);
        else if (!['fp-ts', 'io-ts'].includes(spec!.split('/')[0]!)) out.push(`${file}: imports ${spec} (the library bundles only fp-ts and io-ts)`);
      }
    }
  }
  return out;
};

const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  process.chdir(root);
  const files = new Map(walk('src').filter((f) => f.endsWith('.ts')).map((f) => [f.split('\\').join('/'), readFileSync(f, 'utf8')] as const));
  const bad = violations(files);
  for (const b of bad) console.error(`error: ${b}`);
  if (bad.length > 0) process.exit(1);
  console.log(`layers: ${files.size} files, every import points the right way`);
}
