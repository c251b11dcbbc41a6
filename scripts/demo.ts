// `npm run demo [-- --port N]`: builds the demo page and serves it on
// 127.0.0.1 (default port 5173; 0 picks a free one), printing the URL.

import { parseArgs } from 'node:util';
import { buildDemo, hasShippedModel, serveDemo } from '../src/platform/demo-server.ts';

const fail = (message: string): never => {
  console.error(`error: ${message}`);
  process.exit(2);
};

const { values } = (() => {
  try {
    return parseArgs({ options: { port: { type: 'string', default: '5173' } }, strict: true });
  } catch (err) {
    return fail((err as Error).message);
  }
})();
const port = Number(values.port);
if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) fail(`--port must be an integer 0-65535, got "${values.port}"`);

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
