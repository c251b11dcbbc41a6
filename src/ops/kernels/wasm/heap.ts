// The scratch memory the WASM kernel modules of one kernel set share. Operands
// are copied in, modules work on them in place (one module's output can be
// the next one's input without leaving the heap: a fused convolution never
// copies its unrolled matrix out), and results are copied out into fresh
// arrays. Nothing in it outlives a kernel call.

import { isShared, newMemory, SHARED_MAX_PAGES, type WasmMemory } from './instantiate.ts';

const PAGE = 65536;

export interface Heap {
  readonly memory: WasmMemory;
  /**
   * Byte offsets of consecutive 64-byte aligned blocks of the given sizes
   * (in 4-byte elements), growing the memory to hold them all. Views taken
   * before a call to `layout` may be stale; take them after.
   */
  readonly layout: (...counts: number[]) => number[];
  readonly f32: () => Float32Array;
  readonly i32: () => Int32Array;
}

/** A heap on a fresh memory, or on `memory` (a shared one, for kernels run by several threads). */
export const createHeap = (memory: WasmMemory = newMemory()): Heap => {
  let f32 = new Float32Array(memory.buffer);
  let i32 = new Int32Array(memory.buffer);
  const fresh = (): void => {
    if (f32.buffer !== memory.buffer) {
      f32 = new Float32Array(memory.buffer);
      i32 = new Int32Array(memory.buffer);
    }
  };
  return {
    memory,
    layout: (...counts) => {
      const offs: number[] = [];
      let end = 0;
      for (const n of counts) {
        offs.push(end);
        end += Math.ceil(n / 16) * 64;
      }
      const have = memory.buffer.byteLength;
      if (end > have) {
        try {
          memory.grow(Math.ceil((end - have) / PAGE));
        } catch (err) {
          // A shared heap (a compiled network's kernel helper) has a fixed maximum.
          if (!isShared(memory)) throw err;
          throw new RangeError(`the kernel helper's shared heap holds at most ${SHARED_MAX_PAGES / 16} MiB and this call needs ${Math.ceil(end / 2 ** 20)} MiB: use smaller batches, or compile without a helper`);
        }
      }
      fresh();
      return offs;
    },
    f32: () => (fresh(), f32),
    i32: () => (fresh(), i32),
  };
};
