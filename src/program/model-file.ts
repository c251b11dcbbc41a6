// Reading a checkpoint or weights file named on the command line: bounded
// (a model file is a few MiB; anything larger is not one), one-line errors.

import type * as TE from 'fp-ts/lib/TaskEither.js';
import { MODEL_FILE_LIMIT } from '../formats/limits.ts';
import { readFileBytes } from '../platform/atomic-write.ts';

/** The bytes of the model file at `path`, or why not. */
export const readModelFile = (path: string): TE.TaskEither<string, Uint8Array> => readFileBytes(path, MODEL_FILE_LIMIT);
