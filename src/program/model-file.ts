// Reading a checkpoint or weights file named on the command line: bounded
// (a model file is a few MiB; anything larger is not one), one-line errors,
// and a PNG picture in its place named as one (arguments given in the wrong
// order), not as a header length over its limit.

import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { MODEL_FILE_LIMIT } from '../formats/limits.ts';
import { readFileBytes } from '../platform/atomic-write.ts';
import { notAModel } from './file-kind.ts';
import type { CommandName } from './flags.ts';

/** The bytes of the model file at `path` that `command` was given (none: --resume), or why not. */
export const readModelFile = (path: string, command?: CommandName): TE.TaskEither<string, Uint8Array> =>
  pipe(
    readFileBytes(path, MODEL_FILE_LIMIT),
    TE.chainEitherK((bytes) => {
      const png = notAModel(path, bytes, command);
      return png === null ? E.right(bytes) : E.left(png);
    }),
  );
