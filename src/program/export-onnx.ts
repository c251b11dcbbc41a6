// `export CHECKPOINT --format onnx --out FILE.onnx`: the trained network as
// an ONNX model (src/formats/onnx.ts), written whole or not at all and never
// over an existing file, as the safetensors export is.

import { basename } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { Layer, Tree } from '../graph/index.ts';
import { encodeOnnx } from '../formats/onnx.ts';
import { writeFileAtomic } from '../platform/atomic-write.ts';

/** Writes `net` with `params` (read from `checkpoint`) to `out` as ONNX; the line to print, or why not. */
export const exportOnnx = <P extends Tree>(net: Layer<P>, params: P, checkpoint: string, out: string): TE.TaskEither<string, string> => {
  const model = encodeOnnx(net, params, { inputName: 'input', outputName: 'logits', note: `exported from ${basename(checkpoint)}` });
  return pipe(
    TE.fromEither(E.mapLeft((why: string) => `${checkpoint}: ${why}`)(model)),
    TE.chain((bytes) => pipe(
      writeFileAtomic(out, bytes, { exclusive: true }),
      TE.map(() => `wrote ${out} (${bytes.length.toLocaleString('en-US')} bytes): an ONNX model (opset 13), input "input" [batch, 28, 28, 1] (pixels / 255), output "logits" [batch, 10]`),
    )),
  );
};
