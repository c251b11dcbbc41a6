// Synchronous instantiation of a kernel module whose only import is the
// shared memory (env.memory). The slice of the WebAssembly JS API used is
// typed locally: the library is typechecked both with the DOM lib and with
// Node's types, which differ on it.

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  readonly Module: new (bytes: Uint8Array<ArrayBuffer>) => object;
  readonly Instance: new (module: object, imports: object) => { readonly exports: unknown };
  readonly Memory: new (descriptor: { readonly initial: number }) => WasmMemory;
}

const api = (): WasmApi => (globalThis as unknown as { readonly WebAssembly: WasmApi }).WebAssembly;

export const newMemory = (pages = 1): WasmMemory => new (api().Memory)({ initial: pages });

export const instantiate = (bytes: Uint8Array<ArrayBuffer>, memory: WasmMemory): unknown =>
  new (api().Instance)(new (api().Module)(bytes), { env: { memory } }).exports;
