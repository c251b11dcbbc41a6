// parallelGradients lets the process end when nothing else holds it: a
// program that computes with its workers and never calls close() exits when
// its work is done, with its answer printed, instead of waiting forever for
// idle worker threads; while a call is in flight the workers hold it alive.

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// One gradient of a 4-image batch on two workers, then nothing: no close().
const program = `
import { key, uniform } from './src/core/random.ts';
import { tensor } from './src/core/tensor.ts';
import { MNIST_SHAPE, seedNetwork } from './src/graph/index.ts';
import { parallelGradients } from './src/platform/data-parallel.ts';
const params = seedNetwork({ init: 'he' }).init(key(1), MNIST_SHAPE);
const x = tensor([4, 28, 28, 1], Float32Array.from(uniform(key(2), 4 * 784)));
const par = parallelGradients(params, { network: { kind: 'seed', init: 'he' }, kernels: 'js', threads: 2 });
const r = await par.valueAndGrad(params, x, Uint8Array.from([0, 1, 2, 3]));
console.log('loss', Number.isFinite(r.loss));
`;

describe('parallelGradients without close()', () => {
  it('the process exits once its work is done', () => {
    const started = Date.now();
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', program], { encoding: 'utf8', timeout: 45_000 });
    expect(r.error, 'still running after 45 s: idle workers hold the process').toBeUndefined();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('loss true');
    expect(Date.now() - started).toBeLessThan(45_000);
  }, 60_000);
});
