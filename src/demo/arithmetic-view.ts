// The arithmetic of one value as HTML: the numbers of src/graph/arithmetic.ts
// (explainValue, explainGradient, explainLoss) laid out as CNN Explainer
// lays out its formula view: the patch, the filter, the products and the sum.
// Only numbers the library computed are shown; nothing is recomputed here.

import type { Arithmetic, LossArithmetic, Term } from '../graph/arithmetic.ts';

/** Four significant digits, exponent form for the very small and large. */
export const num = (v: number): string => {
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a < 1e-3 || a >= 1e5) return v.toExponential(3);
  return v.toPrecision(4);
};

const idx = (at: readonly number[] | null): string => (at === null ? 'pad' : `[${at.slice(1).join(',')}]`);
const widx = (at: readonly number[]): string => `[${at.join(',')}]`;

/** Names for the two factors of a sum's terms and for its result. */
export interface SumNames {
  readonly input: string;
  readonly weight: string;
  readonly result: string;
}

const grid3 = (values: readonly string[], win = -1): string =>
  `<span class="grid3">${values.map((v, i) => `<span${i === win ? ' class="win"' : ''}>${v}</span>`).join('')}</span>`;

const termTable = (terms: readonly Term[], names: SumNames, shown: number): string => {
  const top = [...terms].sort((a, b) => Math.abs(b.product) - Math.abs(a.product)).slice(0, shown);
  const rest = terms.length - top.length;
  const restSum = terms.reduce((s, t) => s + t.product, 0) - top.reduce((s, t) => s + t.product, 0);
  return `<table><tr><th>${names.input} at</th><th>value</th><th>×</th><th>${names.weight}</th><th>=</th><th>product</th></tr>` +
    top.map((t) => `<tr><td>${idx(t.from)}</td><td>${num(t.input)}</td><td>×</td><td>${num(t.weight)} <small>${widx(t.at)}</small></td><td>=</td><td>${num(t.product)}</td></tr>`).join('') +
    (rest > 0 ? `<tr><td colspan="5">the other ${rest} terms (smaller), together</td><td>${num(restSum)}</td></tr>` : '') +
    '</table>';
};

/** One step of a value's arithmetic as HTML; `names` words the terms of a sum. */
export const arithmeticHtml = (a: Arithmetic, names: SumNames): string => {
  switch (a.kind) {
    case 'sum': {
      const square = a.op === 'conv' && a.terms.length === 9;
      const body = square
        ? `<div>${names.input} patch ${grid3(a.terms.map((t) => (t.from === null ? 'pad' : num(t.input))))} × ${names.weight} ${grid3(a.terms.map((t) => num(t.weight)))} = products ${grid3(a.terms.map((t) => num(t.product)))}</div>`
        : termTable(a.terms, names, a.op === 'maxPool' ? a.terms.length : 10);
      const plus = a.plus === undefined ? '' : ` + bias ${num(a.plus)} = ${num(a.sum + a.plus)}`;
      return `${body}<p class="eq">sum of ${a.terms.length} products = ${num(a.sum)}${plus}; ${names.result} = ${num(a.value)}</p>`;
    }
    case 'add':
      return a.bias === undefined
        ? `<p class="eq">the bias passes the gradient through: ${names.result} = dLoss/dOut = ${num(a.value)}</p>`
        : `<p class="eq">${num(a.input)} + bias ${num(a.bias)} = ${num(a.value)}</p>`;
    case 'relu':
      return names.result.startsWith('dLoss')
        ? `<p class="eq">ReLU passes dLoss/dOut = ${num(a.input)} ${a.passed === 1 ? 'through (its input was positive)' : 'nowhere (its input was not positive): 0'}; ${names.result} = ${num(a.value)}</p>`
        : `<p class="eq">ReLU: max(0, ${num(a.input)}) = ${num(a.value)}</p>`;
    case 'window':
      return `<div>the ${Math.sqrt(a.cells.length)}×${Math.sqrt(a.cells.length)} window ${grid3(a.cells.map((c) => (c.from === null ? `pad ${num(c.value)}` : num(c.value))), a.winner)}</div>` +
        `<p class="eq">max = ${num(a.value)}, from ${idx(a.cells[a.winner]!.from)} (highlighted); only that input gets this window's gradient</p>`;
    case 'copy':
      return `<p class="eq">a copy of ${idx(a.from)}: ${num(a.value)}</p>`;
  }
};

/** The softmax and cross-entropy of the logits, class by class. */
export const lossHtml = (l: LossArithmetic): string =>
  '<table><tr><th>class</th><th>logit z</th><th>exp(z − max)</th><th>p = exp / sum</th><th>one-hot</th><th>dLoss/dz = p − one-hot</th></tr>' +
  l.logits.map((z, c) => `<tr${c === l.label ? ' class="label"' : ''}><td>${c}${c === l.label ? ' (label)' : ''}</td><td>${num(z)}</td><td>${num(l.exps[c]!)}</td><td>${num(l.probabilities[c]!)}</td><td>${c === l.label ? 1 : 0}</td><td>${num(l.dLogits[c]!)}</td></tr>`).join('') +
  `</table><p class="eq">max z = ${num(l.max)}; sum of exps = ${num(l.sum)}; loss = −log p[${l.label}] = −log ${num(l.probabilities[l.label]!)} = ${num(l.loss)}</p>`;
