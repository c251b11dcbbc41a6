// The network table (layer, output shape, parameters, MACs) as text.

import type { Shape } from '../core/tensor.ts';
import type { Layer, LayerRow } from './layer.ts';
import type { Tree } from './tree.ts';

export interface NetworkSummary {
  readonly rows: readonly LayerRow[];
  readonly params: number;
  readonly macs: number;
  readonly outShape: Shape;
}

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
