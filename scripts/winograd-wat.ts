// The straight-line tile transforms of the Winograd convolution F(4x4, 3x3),
// written out as WAT from the transform matrices at build time (build-wasm.ts
// appends them to the elementwise module, after elementwise/winograd.wat whose
// loops call them). Each transform is out = L X R^T on a grid of f32x4 values
// (four channels at a time): zero coefficients are skipped, ±1 become adds and
// subtracts. A test builds a module from a deliberately wrong matrix to show
// that the accuracy check catches it.

/** The matrices of F(m x m, 3x3) with interpolation points 0, ±1, ±2 and infinity (Lavin and Gray). */
export interface WinogradMatrices {
  /** B^T, alpha x alpha: the input tile's transform. */
  readonly bt: readonly (readonly number[])[];
  /** G, alpha x 3: the filter's transform. */
  readonly g: readonly (readonly number[])[];
  /** A^T, m x alpha: the output's inverse transform. */
  readonly at: readonly (readonly number[])[];
}

/** F(4x4, 3x3): tiles of 6x6 inputs give 4x4 outputs with 36 multiplications per channel pair (direct: 144). */
export const F4x4: WinogradMatrices = {
  bt: [
    [4, 0, -5, 0, 1, 0],
    [0, -4, -4, 1, 1, 0],
    [0, 4, -4, -1, 1, 0],
    [0, -2, -1, 2, 1, 0],
    [0, 2, -1, -2, 1, 0],
    [0, 4, 0, -5, 0, 1],
  ],
  g: [
    [1 / 4, 0, 0],
    [-1 / 6, -1 / 6, -1 / 6],
    [-1 / 6, 1 / 6, -1 / 6],
    [1 / 24, 1 / 12, 1 / 6],
    [1 / 24, -1 / 12, 1 / 6],
    [0, 0, 1],
  ],
  at: [
    [1, 1, 1, 1, 1, 0],
    [0, 1, -1, 2, -2, 0],
    [0, 1, 1, 4, 4, 0],
    [0, 1, -1, 8, -8, 1],
  ],
};

const transpose = (m: readonly (readonly number[])[]): number[][] => m[0]!.map((_, j) => m.map((row) => row[j]!));

const constant = (c: number): string => {
  const f = String(Math.fround(c));
  return `(v128.const f32x4 ${f} ${f} ${f} ${f})`;
};

// sum_k coef[k] * x[k] as one expression, first a term of positive coefficient when there is one; when every
// coefficient has the same magnitude m, m times the signed sum.
const linear = (coef: readonly number[], x: readonly string[]): string => {
  const terms = coef.map((c, k) => ({ c, x: x[k]! })).filter((t) => t.c !== 0);
  if (terms.length === 0) return '(v128.const i32x4 0 0 0 0)';
  const m = Math.abs(terms[0]!.c);
  if (m !== 1 && terms.length > 1 && terms.every((t) => Math.abs(t.c) === m)) {
    return `(f32x4.mul ${linear(terms.map((t) => Math.sign(t.c)), terms.map((t) => t.x))} ${constant(m)})`;
  }
  terms.sort((a, b) => Number(b.c > 0) - Number(a.c > 0));
  const first = terms[0]!;
  let e = first.c === 1 ? first.x : first.c === -1 ? `(f32x4.neg ${first.x})` : `(f32x4.mul ${first.x} ${constant(first.c)})`;
  for (const t of terms.slice(1)) {
    const mag = Math.abs(t.c);
    const term = mag === 1 ? t.x : `(f32x4.mul ${t.x} ${constant(mag)})`;
    e = `(${t.c > 0 ? 'f32x4.add' : 'f32x4.sub'} ${e} ${term})`;
  }
  return e;
};

/** Where a matrix product's straight-line code goes: lines, and the v128 locals it declares. */
interface Code {
  readonly lines: string[];
  readonly locals: string[];
}

const temp = (code: Code, value: string): string => {
  const name = `$t${code.locals.length}`;
  code.locals.push(name);
  code.lines.push(`(local.set ${name} ${value})`);
  return `(local.get ${name})`;
};

/**
 * The expressions of L x, with the common subexpressions the Winograd
 * matrices have taken once: two columns whose coefficients are equal or
 * opposite in every row become their sum and difference (A^T: x1 ± x2,
 * x3 ± x4), and two rows that are P + N and P - N with P and N on disjoint
 * columns become p ± n (B^T's rows 1 and 2, 3 and 4).
 */
const product = (code: Code, l: readonly (readonly number[])[], x0: readonly string[]): string[] => {
  const m = l.map((r) => [...r]);
  const x = [...x0];
  for (let a = 0; a < x.length; a++) {
    for (let b = a + 1; b < x.length; b++) {
      const kind = m.map((r) => (r[a] === 0 && r[b] === 0 ? 0 : r[a] === r[b] ? 1 : r[a] === -r[b] ? -1 : NaN));
      if (kind.some(Number.isNaN) || kind.filter((k) => k !== 0).length < 2) continue;
      const [xa, xb] = [x[a]!, x[b]!];
      const sum = kind.includes(1) ? temp(code, `(f32x4.add ${xa} ${xb})`) : '';
      const diff = kind.includes(-1) ? temp(code, `(f32x4.sub ${xa} ${xb})`) : '';
      // Column a now holds the sum, column b the difference, each with row r's coefficient of a.
      m.forEach((r, i) => {
        const c = r[a]!;
        r[a] = kind[i] === 1 ? c : 0;
        r[b] = kind[i] === -1 ? c : 0;
      });
      [x[a], x[b]] = [sum || xa, diff || xb];
    }
  }
  const out: string[] = new Array<string>(m.length);
  for (let i = 0; i < m.length; i++) {
    if (out[i] !== undefined) continue;
    for (let j = i + 1; j < m.length; j++) {
      if (out[j] !== undefined) continue;
      const p = m[i]!.map((c, k) => (c + m[j]![k]!) / 2);
      const n = m[i]!.map((c, k) => (c - m[j]![k]!) / 2);
      if (p.every((c) => c === 0) || n.every((c) => c === 0) || p.some((c, k) => c !== 0 && n[k] !== 0)) continue;
      const [pv, nv] = [temp(code, linear(p, x)), temp(code, linear(n, x))];
      out[i] = `(f32x4.add ${pv} ${nv})`;
      out[j] = `(f32x4.sub ${pv} ${nv})`;
      break;
    }
    out[i] ??= linear(m[i]!, x);
  }
  return out;
};

/**
 * A function `$name (s, sr, sc, d, dr, dc)`: X[i][j] loaded from s + i sr + j sc
 * (q x r values), out = L X R^T (p x t values) stored at d + i dr + j dc.
 */
const transform = (name: string, l: readonly (readonly number[])[], r: readonly (readonly number[])[]): string => {
  const [p, q, cols] = [l.length, l[0]!.length, r[0]!.length];
  const code: Code = { lines: [], locals: [] };
  const x: string[][] = [];
  for (let i = 0; i < q; i++) {
    code.lines.push(`(local.set $a (local.get $s))`);
    x.push([]);
    for (let j = 0; j < cols; j++) {
      x[i]!.push(temp(code, '(v128.load (local.get $a))'));
      if (j + 1 < cols) code.lines.push(`(local.set $a (i32.add (local.get $a) (local.get $sc)))`);
    }
    if (i + 1 < q) code.lines.push(`(local.set $s (i32.add (local.get $s) (local.get $sr)))`);
  }
  // Y = L X, column by column (p x cols), then each row of out = Y R^T.
  const y: string[][] = Array.from({ length: p }, () => []);
  for (let j = 0; j < cols; j++) {
    product(code, l, x.map((row) => row[j]!)).forEach((e, i) => y[i]!.push(temp(code, e)));
  }
  for (let i = 0; i < p; i++) {
    code.lines.push(`(local.set $a (local.get $d))`);
    const outs = product(code, r, y[i]!);
    outs.forEach((e, j) => {
      code.lines.push(`(v128.store (local.get $a) ${e})`);
      if (j + 1 < outs.length) code.lines.push(`(local.set $a (i32.add (local.get $a) (local.get $dc)))`);
    });
    if (i + 1 < p) code.lines.push(`(local.set $d (i32.add (local.get $d) (local.get $dr)))`);
  }
  return `(func ${name} (param $s i32) (param $sr i32) (param $sc i32) (param $d i32) (param $dr i32) (param $dc i32)
  (local $a i32) ${code.locals.map((v) => `(local ${v} v128)`).join(' ')}
  ${code.lines.join('\n  ')})
`;
};

/**
 * The five tile transforms winograd.wat calls, for these matrices: $wg_in
 * (B^T d B), $wg_out (A^T m A), $wg_filter (G g G^T), $wg_dy (A dy A^T, the
 * filter gradient's output-gradient tile) and $wg_filter_back (G^T m G).
 */
export const winogradTransformsWat = (m: WinogradMatrices = F4x4): string => {
  const a = transpose(m.at);
  const gt = transpose(m.g);
  return [
    ';; GENERATED by scripts/winograd-wat.ts from the F(4x4, 3x3) matrices.',
    transform('$wg_in', m.bt, m.bt),
    transform('$wg_out', m.at, m.at),
    transform('$wg_filter', m.g, m.g),
    transform('$wg_dy', a, a),
    transform('$wg_filter_back', gt, gt),
  ].join('\n');
};
