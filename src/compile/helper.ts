// A second thread for a compiled network: a helper that runs kernel calls on
// the network's heap, a shared WebAssembly memory, while the calling thread
// runs others. The program hands it a list of calls (which kernel, which
// arguments: offsets into the heap and scalars) through shared memory, and
// both threads meet when their halves are done; no message is posted on the
// way, so a hand-over costs microseconds. The calls are the same kernels on
// the same operands as on one thread, split where the results cannot change
// (rows of a product, images of a pool, a gradient's two products), so two
// threads give one thread's numbers bit for bit.
//
// This file is the protocol and both sides of it, for any platform; a
// platform's shell starts the thread (Node: src/platform/kernel-helper.ts).

import { createWasmElementwise } from '../ops/kernels/wasm/elementwise-wasm.ts';
import { createWasmGemm } from '../ops/kernels/wasm/gemm-wasm.ts';
import { createHeap } from '../ops/kernels/wasm/heap.ts';
import { callTable, heapKernels, KERNEL_OPS, recordingKernels } from '../ops/kernels/wasm/heap-kernels.ts';
import { newSharedMemory, SHARED_MAX_PAGES, type WasmMemory } from '../ops/kernels/wasm/instantiate.ts';
import type { Sink } from './calls.ts';

/** What a helper thread is started with: the shared heap, the GEMM module to use, and the two shared buffers of the protocol. */
export interface HelperInit {
  readonly memory: WasmMemory;
  readonly fma: boolean;
  /** Int32 words: [SEQ, DONE, FAILED, the failed kernel's index]. */
  readonly control: SharedArrayBuffer;
  /** Float64 words: the calls of the current hand-over. */
  readonly calls: SharedArrayBuffer;
}

const SEQ = 0;
const DONE = 1;
const FAILED = 2;
const FAILED_OP = 3;
/** Words of the call buffer (512 KiB): a hand-over longer than that (a batch of thousands) goes in parts. */
const CALL_WORDS = 1 << 16;
/** How long the helper spins for the next hand-over before it sleeps, and how long a caller waits before it calls the helper dead. */
const SPIN_MS = 2;
const DEAD_MS = 30_000;
/** Hand-overs per window in which the caller's waiting is weighed against its own halves, and how many splits run on the caller alone after a window where the helper was late. */
const WINDOW = 32;
const SOLO = 2048;

/** The calling side of a helper thread: its heap, and hand-overs. */
export interface KernelHelper {
  /** The shared heap: the compiled network lays itself out here. */
  readonly memory: WasmMemory;
  /** Fused multiply-adds in the GEMM, on both threads. */
  readonly fma: boolean;
  /**
   * Runs the calls `theirs` makes on the sink it is given (they are recorded
   * for the helper) on the helper thread, while `mine` runs here; returns
   * when both are done.
   * @hidden
   */
  readonly together: (theirs: (sink: Sink) => void, mine: () => void) => void;
  /**
   * Whether to run both halves on the calling thread for now: true for a
   * while after the helper has kept the caller waiting longer than the
   * caller's own halves took (its core busy with another process). The
   * numbers are the same either way.
   * @hidden
   */
  readonly solo: () => boolean;
  /**
   * Makes the caller the heap's one user (a compiled network lays itself out
   * there); the function returned tells whether it still is, false once
   * another has claimed the helper.
   * @hidden
   */
  readonly claim: () => () => boolean;
  /** Ends the thread. */
  readonly close: () => Promise<void>;
}

/** The shared memory and protocol buffers of a new helper; give them to the thread that will serve it. */
export const helperInit = (fma: boolean): HelperInit => ({
  memory: newSharedMemory(1, SHARED_MAX_PAGES),
  fma,
  control: new SharedArrayBuffer(4 * 4),
  calls: new SharedArrayBuffer(CALL_WORDS * 8),
});

const now = (): number => performance.now();

/**
 * The calling side, from the init given to the thread and how to end it.
 * The calls of a hand-over are recorded (kernel index, argument count,
 * arguments), the sequence number is bumped, and the caller runs its own
 * half; then it spins until the helper has answered. `watch`, when given,
 * is called with a function the platform calls if the thread dies: every
 * later call then fails at once with that reason (a call already waiting
 * fails after 30 s).
 */
export const helperPort = (init: HelperInit, terminate: () => Promise<unknown>, watch?: (died: (why: string) => void) => void): KernelHelper => {
  const control = new Int32Array(init.control);
  const words = new Float64Array(init.calls);
  let seq = 0;
  let closed = false;
  let dead: string | null = null;
  let owner = 0;
  let used = 1;
  watch?.((why) => {
    dead ??= why;
  });
  // The current window: the time the caller's own halves took and the time it then waited for the helper's.
  let own = 0;
  let waited = 0;
  let handovers = 0;
  let soloLeft = 0;
  const post = (): void => {
    seq += 1;
    Atomics.store(control, SEQ, seq);
    Atomics.notify(control, SEQ);
  };
  const put = (op: number, args: readonly number[]): void => {
    if (used + 2 + args.length > CALL_WORDS) {
      // A full buffer: the helper runs what is recorded so far, and recording starts again.
      post();
      wait();
      words[0] = 0;
      used = 1;
    }
    words[used++] = op;
    words[used++] = args.length;
    for (const a of args) words[used++] = a;
    words[0] = words[0]! + 1;
  };
  const sink: Sink = { k: recordingKernels(put), call: put };
  // Spins a little (the helper's half usually ends within microseconds of ours), then sleeps until it answers
  // (where this thread may not sleep, a browser's main thread, it spins on).
  let maySleep = true;
  const wait = (): void => {
    const deadline = now() + DEAD_MS;
    let spins = 0;
    for (let done = Atomics.load(control, DONE); done !== seq; done = Atomics.load(control, DONE)) {
      if (++spins < 4096) continue;
      spins = 0;
      if (now() > deadline) throw new Error('kernel helper: no answer for 30 s; the thread is gone');
      if (maySleep) {
        try {
          Atomics.wait(control, DONE, done, 1);
        } catch {
          maySleep = false;
        }
      }
    }
    if (Atomics.load(control, FAILED) !== 0) throw new Error(`kernel helper: ${KERNEL_OPS[Atomics.load(control, FAILED_OP)] ?? 'a kernel'} failed in the helper thread`);
  };
  return {
    memory: init.memory,
    fma: init.fma,
    together: (theirs, mine) => {
      if (dead !== null) throw new Error(`kernel helper: the thread ${dead}`);
      if (closed) throw new Error('kernel helper: closed');
      words[0] = 0;
      used = 1;
      theirs(sink);
      if (words[0] === 0) return mine();
      post();
      const t0 = now();
      let t1 = t0;
      try {
        mine();
        t1 = now();
      } finally {
        wait();
      }
      own += t1 - t0;
      waited += now() - t1;
      if (++handovers === WINDOW) {
        if (waited > own) soloLeft = SOLO;
        own = 0;
        waited = 0;
        handovers = 0;
      }
    },
    solo: () => soloLeft > 0 && soloLeft-- > 0,
    claim: () => {
      const me = ++owner;
      return () => owner === me;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      Atomics.store(control, SEQ, -1);
      Atomics.notify(control, SEQ);
      await terminate();
    },
  };
};

/**
 * The helper's side: instantiates the kernels on the shared heap and runs
 * each hand-over, until the caller closes it. It blocks the thread it runs
 * on (a worker of its own), after calling `ready`. A kernel that fails (a
 * trap) is reported to the caller, who throws; the helper goes on.
 *
 * @example
 * // kernel-worker.js, a Web Worker (the page must be cross-origin isolated)
 * self.onmessage = (e) => serveKernels(e.data, () => self.postMessage('ready'));
 *
 * // the calling side
 * const init = helperInit(false);
 * const w = new Worker(new URL('./kernel-worker.js', import.meta.url), { type: 'module' });
 * w.postMessage(init);
 * await new Promise((resolve) => w.addEventListener('message', resolve, { once: true }));
 * const c = compile(net, { helper: helperPort(init, async () => w.terminate()) });
 */
export const serveKernels = (init: HelperInit, ready: () => void = () => {}): void => {
  const heap = createHeap(init.memory);
  const { gemmAt, denseSgdAt } = createWasmGemm(heap, init.fma);
  const table = callTable(heapKernels(heap, gemmAt, denseSgdAt, createWasmElementwise(heap).raw));
  ready();
  const control = new Int32Array(init.control);
  const words = new Float64Array(init.calls);
  const args: number[] = [];
  let last = 0;
  for (;;) {
    // Spin (the next hand-over is usually microseconds away), then sleep.
    const start = now();
    let seq = Atomics.load(control, SEQ);
    for (let spins = 1; seq === last; spins++) {
      if ((spins & 1023) === 0 && now() - start > SPIN_MS) Atomics.wait(control, SEQ, last, 100);
      seq = Atomics.load(control, SEQ);
    }
    if (seq < 0) return;
    last = seq;
    let failed = 0;
    let op = 0;
    try {
      const count = words[0]!;
      let at = 1;
      for (let i = 0; i < count; i++) {
        const n = words[at + 1]!;
        op = words[at]!;
        args.length = n;
        for (let j = 0; j < n; j++) args[j] = words[at + 2 + j]!;
        const run = table[op];
        if (run === undefined) throw new RangeError(`no kernel ${op}`);
        run(args);
        at += 2 + n;
      }
    } catch {
      failed = seq;
    }
    Atomics.store(control, FAILED_OP, op);
    Atomics.store(control, FAILED, failed);
    Atomics.store(control, DONE, seq);
    Atomics.notify(control, DONE);
  }
};
