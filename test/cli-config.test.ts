// Flag parsing and validation: every bad flag is one clear line.

import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { parseCommand } from '../src/program/flags.ts';

const parse = (...argv: string[]) => parseCommand(argv, 2);
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
  it('the seed preset is SEED.md', () => {
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
  it('parses evaluate and predict', () => {
    const ev = parse('evaluate', 'ck.safetensors', '--test-limit', '100');
    expect(E.isRight(ev) && ev.right).toMatchObject({ kind: 'evaluate', checkpoint: 'ck.safetensors', testLimit: 100 });
    const pr = parse('predict', 'ck.safetensors', 'a.png', 'b.png');
    expect(E.isRight(pr) && pr.right).toMatchObject({ kind: 'predict', images: ['a.png', 'b.png'] });
    expect(error('predict', 'ck.safetensors')).toContain('at least one image');
    expect(error('evaluate', 'ck', '--lr', '1')).toBe('--lr does not apply to evaluate');
  });
});
