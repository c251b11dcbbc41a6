// The API documentation: TypeDoc checks the doc comments (every export
// documented, no link to a name the package does not export) without writing
// the site, and every op, layer constructor and serial shows an @example that
// calls it by its public name (ops.relu, layers.relu), read from the sources.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/** The parts of TypeDoc's JSON output this file reads. */
interface Reflection {
  readonly name: string;
  readonly children?: readonly Reflection[];
  readonly signatures?: ReadonlyArray<{ readonly parameters?: ReadonlyArray<{ readonly name: string }> }>;
}

interface Exported {
  readonly name: string;
  /** The declared return type, as written: `Op<Tensor, ...>`, `Layer<NoParams>`. */
  readonly returns: string;
  readonly examples: readonly string[];
}

const parse = (file: string): ts.SourceFile => ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);

/** The exported `const name = (...): R => ...` of a file, with their @example texts. */
const exportedFunctions = (file: string): Exported[] => {
  const sf = parse(file);
  return sf.statements.filter(ts.isVariableStatement)
    .filter((s) => s.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword))
    .flatMap((s) => s.declarationList.declarations)
    .flatMap((d) => {
      const f = d.initializer;
      if (!ts.isIdentifier(d.name) || f === undefined || !ts.isArrowFunction(f)) return [];
      const examples = ts.getJSDocTags(d).filter((t) => t.tagName.text === 'example').map((t) => ts.getTextOfJSDocComment(t.comment) ?? '');
      return [{ name: d.name.text, returns: f.type?.getText(sf) ?? '', examples }];
    });
};

/** The value names src/ops/index.ts re-exports, by source file (the kernel sets left out). */
const opFiles = (): Map<string, string[]> => {
  const files = new Map<string, string[]>();
  for (const s of parse('src/ops/index.ts').statements) {
    if (!ts.isExportDeclaration(s) || s.isTypeOnly || s.moduleSpecifier === undefined || s.exportClause === undefined) continue;
    const spec = (s.moduleSpecifier as ts.StringLiteral).text;
    if (spec.startsWith('./kernels/') || !ts.isNamedExports(s.exportClause)) continue;
    const names = s.exportClause.elements.filter((e) => !e.isTypeOnly).map((e) => e.name.text);
    files.set(join('src/ops', spec), names);
  }
  return files;
};

describe('API documentation', () => {
  it('TypeDoc finds nothing to warn about, shows a page per group and every parameter\'s name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'typedoc-'));
    try {
      const r = spawnSync(process.execPath, ['node_modules/typedoc/bin/typedoc', '--json', join(dir, 'api.json'), '--logLevel', 'Warn'], {
        encoding: 'utf8',
        timeout: 90_000,
        env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      });
      const output = `${r.stdout}${r.stderr}`;
      expect(r.status, output).toBe(0);
      expect(output).not.toMatch(/warning|error/i);
      const api = JSON.parse(readFileSync(join(dir, 'api.json'), 'utf8')) as Reflection;
      expect(api.children!.map((m) => m.name)).toEqual([
        'Compile', 'Formats', 'Gradients', 'Inspect', 'Layers', 'mnist-cnn-ts/node', 'Ops', 'Optimizers', 'Pictures', 'Tensors', 'Training',
      ]);
      const unnamed: string[] = [];
      const walk = (r: Reflection, path: string): void => {
        for (const sig of r.signatures ?? []) for (const p of sig.parameters ?? []) if (p.name.startsWith('__')) unnamed.push(`${path}(${p.name})`);
        for (const c of r.children ?? []) walk(c, `${path}.${c.name}`);
      };
      walk(api, '');
      expect(unnamed, 'parameters TypeDoc could not name: give the destructured options bag a name').toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('every op has an @example calling ops.<name>', () => {
    const ops = [...opFiles()].flatMap(([file, names]) => exportedFunctions(file).filter((f) => names.includes(f.name) && f.returns.startsWith('Op<')));
    // The reading above must find the ops, not pass on an empty list.
    expect(ops.map((o) => o.name).sort()).toEqual(expect.arrayContaining([
      'bias', 'conv2d', 'crossEntropy', 'dense', 'flatten', 'logSoftmax', 'maxPool2d', 'relu', 'reshapeOp', 'softmax', 'softmaxCrossEntropy', 'untiedBias',
    ]));
    for (const op of ops) {
      expect(op.examples, `ops.${op.name} has no @example`).not.toHaveLength(0);
      expect(op.examples.join('\n'), `the example of ops.${op.name}`).toContain(`ops.${op.name}(`);
    }
  });

  it('every layer constructor and serial has an @example calling it by its public name', () => {
    const made = exportedFunctions('src/graph/layers.ts').filter((f) => f.returns.startsWith('Layer<'));
    expect(made.map((l) => l.name).sort()).toEqual(expect.arrayContaining(['bias', 'conv', 'dense', 'flatten', 'maxPool', 'relu', 'untiedBias']));
    for (const layer of made) {
      expect(layer.examples, `layers.${layer.name} has no @example`).not.toHaveLength(0);
      expect(layer.examples.join('\n'), `the example of layers.${layer.name}`).toContain(`layers.${layer.name}(`);
    }
    const serial = exportedFunctions('src/graph/serial.ts').find((f) => f.name === 'serial');
    expect(serial?.examples.join('\n')).toContain('serial({');
  });
});
