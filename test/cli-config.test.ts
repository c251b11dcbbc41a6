// Flag parsing and validation: every bad flag is one clear line.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { parseCommand } from '../src/program/flags.ts';

const parse = (...argv: string[]) => parseCommand(argv, 2);
const train = (...argv: string[]) => {
  const r = parse(...argv);
  if (E.isLeft(r) || r.right.kind !== 'train') throw new Error(`expected a training command for ${argv.join(' ')}`);
  return r.right;
};
const error = (...argv: string[]): string => {
  const r = parse(...argv);
  if (E.isRight(r)) throw new Error(`expected an error for ${argv.join(' ')}`);
  return r.left;
};

describe('parseCommand', () => {
  it('defaults to the default recipe', () => {
    const r = parse();
    expect(E.isRight(r) && r.right.kind === 'train' && r.right.config).toMatchObject({ preset: 'default', batchSize: 64, optimizer: 'adam', init: 'he', shuffle: true, threads: 2 });
  });
  it('the seed preset is the reference recipe (docs/reference-network.md)', () => {
    const r = parse('--preset', 'seed');
    expect(E.isRight(r) && r.right.kind === 'train' && r.right.config).toMatchObject({ epochs: 9, batchSize: 1, optimizer: 'sgd', init: 'seed', shuffle: false, lr: 1e-3 });
  });
  it('flags override the preset', () => {
    const r = parse('--epochs', '2', '--batch-size', '32', '--lr', '0.01', '--optimizer', 'momentum', '--train-limit', '500');
    expect(E.isRight(r) && r.right.kind === 'train' && r.right.config).toMatchObject({ epochs: 2, batchSize: 32, lr: 0.01, optimizer: 'momentum', trainLimit: 500 });
  });
  it('rejects bad values with one line', () => {
    expect(error('--batch-size', '0')).toBe('--batch-size "0": must be an integer >= 1');
    expect(error('--epochs', '-3')).toContain('--epochs');
    expect(error('--lr', 'fast')).toBe('--lr "fast": must be a positive number');
    expect(error('--optimizer', 'rmsprop')).toContain('--optimizer "rmsprop"');
    expect(error('--preset', 'huge')).toContain('--preset "huge"');
    expect(error('--bogus')).toMatch(/Unknown option '--bogus'/);
    expect(error('--epochs')).toMatch(/--epochs/);
    expect(error('fly')).toContain('unknown command "fly"');
  });
  it('parses explain, with --backward, its --label and --lr', () => {
    const plain = parse('explain', 'ck.safetensors', 'a.png', '--out', 'o');
    expect(E.isRight(plain) && plain.right).toMatchObject({ kind: 'explain', backward: null });
    const back = parse('explain', 'ck.safetensors', 'a.png', '--out', 'o', '--backward', '--label', '3', '--lr', '0.01');
    expect(E.isRight(back) && back.right).toMatchObject({ kind: 'explain', backward: { label: 3, lr: 0.01 } });
    const byPrediction = parse('explain', 'ck.safetensors', 'a.png', '--out', 'o', '--backward');
    expect(E.isRight(byPrediction) && byPrediction.right).toMatchObject({ backward: { label: null, lr: 0.001 } });
    expect(error('explain', 'ck.safetensors', 'a.png', '--out', 'o', '--label', '3')).toBe('--label applies to explain --backward');
    expect(error('explain', 'ck.safetensors', 'a.png', '--out', 'o', '--backward', '--label', '10')).toMatch(/^--label "10": /);
  });

  it('parses evaluate and predict', () => {
    const ev = parse('evaluate', 'ck.safetensors', '--test-limit', '100');
    expect(E.isRight(ev) && ev.right).toMatchObject({ kind: 'evaluate', checkpoint: 'ck.safetensors', testLimit: 100 });
    const pr = parse('predict', 'ck.safetensors', 'a.png', 'b.png');
    expect(E.isRight(pr) && pr.right).toMatchObject({ kind: 'predict', images: ['a.png', 'b.png'] });
    expect(error('predict', 'ck.safetensors')).toContain('at least one image');
    expect(error('evaluate', 'ck', '--lr', '1')).toBe('--lr does not apply to evaluate');
  });
});

describe('parseCommand refuses what parseArgs and Number() let through', () => {
  it('caps --threads at the core count, with a note', () => {
    expect(train('--threads', '1000')).toMatchObject({ config: { threads: 2 }, notes: ["--threads 1000 is more than this machine's 2 cores; using 2"] });
    expect(train('--threads', '2')).toMatchObject({ config: { threads: 2 }, notes: [] });
    expect(train('--threads', '1').config.threads).toBe(1);
    expect(train().notes).toEqual([]);
  });
  it('refuses a flag given twice, whatever its values', () => {
    expect(error('--epochs=abc', '--epochs=1')).toBe('--epochs is given more than once');
    expect(error('--out', 'a', '--out', 'a')).toBe('--out is given more than once');
    expect(error('evaluate', 'ck', '--test-limit', '5', '--test-limit=6')).toBe('--test-limit is given more than once');
    expect(error('--robustness', '--robustness')).toBe('--robustness is given more than once');
  });
  it('takes numbers only in plain decimal', () => {
    for (const lr of ['0x10', '0b11', '0o7', ' 5', '5 ', 'Infinity', '+5', '1e', '1.2.3', '1_000', '']) {
      expect(error('--lr', lr), lr).toBe(lr.trim() === '' || Number.isNaN(Number(lr))
        ? `--lr ${JSON.stringify(lr)}: must be a positive number`
        : `--lr ${JSON.stringify(lr)}: must be a positive number, written in plain decimal, such as 0.002 or 2e-3`);
    }
    expect(error('--lr', '1e400')).toBe('--lr "1e400": too large for a number');
    expect(error('--lr', '0')).toBe('--lr "0": must be a positive number');
    expect(error('--lr', '-1')).toBe('--lr "-1": must be a positive number');
    for (const [text, value] of [['1e-3', 1e-3], ['0.002', 0.002], ['2E-3', 2e-3], ['.5', 0.5], ['5.', 5], ['1.5e+2', 150], ['3', 3]] as const) {
      expect(train('--lr', text).config.lr, text).toBe(value);
    }
    for (const n of ['0x10', '1e1', ' 5', '+5', '5.0']) expect(error('--epochs', n), n).toBe(`--epochs ${JSON.stringify(n)}: must be an integer >= 1, written in plain decimal digits`);
    expect(error('--epochs', '-3')).toBe('--epochs "-3": must be an integer >= 1');
    expect(error('--seed', '-1')).toBe('--seed "-1": must be an integer >= 0');
    expect(train('--epochs', '007').config.epochs).toBe(7);
  });
  it('never throws: any argv is a command or one line', () => {
    const word = fc.oneof(fc.string(), fc.constantFrom('--epochs', '--lr', '--threads', '--out', '-h', '--', 'evaluate', 'predict', '-1', '0x10', '1e-3'));
    fc.assert(fc.property(fc.array(word, { maxLength: 8 }), (argv) => {
      const r = parse(...argv);
      return E.isRight(r) || (r.left.length > 0 && !r.left.includes('\n'));
    }), { seed: 11, numRuns: 2000 });
  });
  it('reads every positive double in its own decimal form as that double', () => {
    fc.assert(fc.property(fc.double({ min: Number.MIN_VALUE, noNaN: true, noDefaultInfinity: true }), (lr) => train('--lr', String(lr)).config.lr === lr), { seed: 11, numRuns: 1000 });
  });
});

describe('augmentation and robustness flags', () => {
  it('the default preset augments, the seed preset does not, --augment chooses', () => {
    expect(train().config.augment).toBe('default');
    expect(train('--preset', 'seed').config.augment).toBe('none');
    expect(train('--augment', 'none').config.augment).toBe('none');
    expect(train('--preset', 'seed', '--augment', 'default').config.augment).toBe('default');
    expect(E.isLeft(parse('--augment', 'lots'))).toBe(true);
  });

  it('--robustness belongs to evaluate', () => {
    const r = parse('evaluate', 'x.safetensors', '--robustness');
    expect(E.isRight(r) && r.right.kind === 'evaluate' && r.right.robustness).toBe(true);
    const t = parse('--robustness');
    expect(E.isLeft(t) && t.left).toMatch(/--robustness applies to evaluate/);
  });
});
