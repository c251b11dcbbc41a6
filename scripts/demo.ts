// `npm run demo [-- --port N]`: builds the demo page into a fresh directory,
// swaps it in as dist/demo (a server already running keeps serving a whole
// build) and serves it on 127.0.0.1 (default port 5173; 0 picks a free one),
// printing the URL. --port is read as the training program reads its flags:
// plain decimal digits, given once; anything else is one line and exit 2.

import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { decodeFlags, IntFromString, readArgs } from '../src/program/flags.ts';
import { buildDemo, hasShippedModel, serveDemo } from '../src/demo/server.ts';

const fail = (message: string): never => {
  console.error(`error: ${message}`);
  process.exit(2);
};

const orFail = <A>(e: E.Either<string, A>): A => (E.isLeft(e) ? fail(e.left) : e.right);

const args = orFail(readArgs(process.argv.slice(2), { port: { type: 'string' } }));
if (args.positionals.length > 0) fail(`unexpected argument "${args.positionals[0]}" (usage: npm run demo [-- --port N])`);
const port = orFail(decodeFlags(t.partial({ port: IntFromString(0, 65535) }), args.values)).port ?? 5173;

try {
  console.log('building the page (src/demo) with Vite…');
  await buildDemo();
  if (!hasShippedModel()) {
    console.error('warning: models/default.safetensors is missing; the page starts without a model (load one, or: npx tsx src/train.ts export CHECKPOINT --out models/default.safetensors)');
  }
  const server = await serveDemo(port);
  console.log(`demo: ${server.url}  (Ctrl-C to stop)`);
} catch (err) {
  const e = err as NodeJS.ErrnoException;
  fail(e.code === 'EADDRINUSE' ? `port ${port} is in use (try --port 0 for a free one)` : e.message);
}
