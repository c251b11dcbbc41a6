// The network table (layer, output shape, parameters, MACs) as text.

import type { Shape } from '../core/tensor.ts';
import type { Layer, LayerRow } from './layer.ts';
import type { Tree } from './tree.ts';

/** A network's table: a row per layer and the totals. */
export interface NetworkSummary {
  readonly rows: readonly LayerRow[];
  /** Parameters of the whole network. */
  readonly params: number;
  /** Forward multiply-accumulates per example. */
  readonly macs: number;
  /** The network's output shape, without the batch axis. */
  readonly outShape: Shape;
}

/**
 * The table of `net` on inputs of `inShape` (without the batch axis), from
 * the definition alone: no data runs. Throws a ShapeError when a layer
 * cannot take its input.
 *
 * @example
 * const s = summarize(seedNetwork(), MNIST_SHAPE);
 * s.params;                                    // 359846
 * s.macs;                                      // 2233832
 */
export const summarize = <P extends Tree>(net: Layer<P>, inShape: Shape): NetworkSummary => {
  const { rows, outShape } = net.describe(inShape, '');
  return {
    rows,
    outShape,
    params: rows.reduce((s, r) => s + r.params, 0),
    macs: rows.reduce((s, r) => s + r.macs, 0),
  };
};

const num = (n: number): string => (n === 0 ? '' : n.toLocaleString('en-US'));

/** The table as aligned text: an input row, a row per layer, the totals. */
export const formatTable = (s: NetworkSummary, inShape: Shape): string => {
  const head = ['layer', 'kind', 'output', 'parameters', 'MACs'];
  const body = s.rows.map((r) => [r.name, r.kind, r.outShape.join('x'), num(r.params), num(r.macs)]);
  const lines = [head, ['input', '', inShape.join('x'), '', ''], ...body, ['total', '', '', num(s.params), num(s.macs)]];
  const widths = head.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  const fmt = (l: string[]): string =>
    l.map((c, i) => (i >= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [fmt(lines[0]!), rule, ...lines.slice(1, -1).map(fmt), rule, fmt(lines[lines.length - 1]!)].join('\n');
};
