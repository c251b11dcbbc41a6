// Synchronous instantiation of a kernel module whose only import is the
// heap's memory (env.memory), and the memories it runs on. The slice of the
// WebAssembly JS API used is typed locally: the library is typechecked both
// with the DOM lib and with Node's types, which differ on it.

/** The part of a WebAssembly.Memory the kernels use (typed here: the DOM's and Node's types differ on it). */
export interface WasmMemory {
  /** The memory's bytes (a SharedArrayBuffer for a shared memory). */
  readonly buffer: ArrayBuffer;
  /** Adds `pages` pages of 64 KiB; returns the previous size in pages. */
  grow(pages: number): number;
}
interface WasmApi {
  readonly Module: new (bytes: Uint8Array<ArrayBuffer>) => object;
  readonly Instance: new (module: object, imports: object) => { readonly exports: unknown };
  readonly Memory: new (descriptor: { readonly initial: number; readonly maximum?: number; readonly shared?: boolean }) => WasmMemory;
  readonly validate: (bytes: Uint8Array<ArrayBuffer>) => boolean;
}

const api = (): WasmApi => (globalThis as unknown as { readonly WebAssembly: WasmApi }).WebAssembly;

export const newMemory = (pages = 1): WasmMemory => new (api().Memory)({ initial: pages });

/**
 * Pages (64 KiB) a shared heap may grow to: 1 GiB. The shared kernel modules
 * declare this maximum in their memory import (scripts/build-wasm.ts), so a
 * shared memory may declare no more.
 */
export const SHARED_MAX_PAGES = 16384;

/** A memory several threads can share (its buffer is a SharedArrayBuffer), growing to at most `maxPages`. */
export const newSharedMemory = (pages: number, maxPages = SHARED_MAX_PAGES): WasmMemory => new (api().Memory)({ initial: pages, maximum: maxPages, shared: true });

/** Whether the memory is shared between threads. */
export const isShared = (memory: WasmMemory): boolean =>
  typeof SharedArrayBuffer !== 'undefined' && (memory.buffer as unknown) instanceof SharedArrayBuffer;

/** Whether this runtime compiles these module bytes (a feature test). */
export const validates = (bytes: Uint8Array): boolean => api().validate(bytes as Uint8Array<ArrayBuffer>);

/**
 * An instance of a kernel module on `memory`; the module must be the variant
 * built for it (shared or not, see modules.ts), or linking fails.
 */
export const instantiate = (bytes: Uint8Array, memory: WasmMemory): unknown =>
  // The bytes are never a view on shared memory; declared plainly so that the published types
  // need no TypeScript 5.7 (Uint8Array<ArrayBuffer>).
  new (api().Instance)(new (api().Module)(bytes as Uint8Array<ArrayBuffer>), { env: { memory } }).exports;
