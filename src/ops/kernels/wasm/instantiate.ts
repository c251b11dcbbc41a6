// Synchronous instantiation of a module without imports. The slice of the
// WebAssembly JS API used is typed locally: the library is typechecked both
// with the DOM lib and with Node's types, which differ on it.

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  readonly Module: new (bytes: Uint8Array<ArrayBuffer>) => object;
  readonly Instance: new (module: object, imports: object) => { readonly exports: unknown };
}

export const instantiate = (bytes: Uint8Array<ArrayBuffer>): unknown => {
  const api = (globalThis as unknown as { readonly WebAssembly: WasmApi }).WebAssembly;
  return new api.Instance(new api.Module(bytes), {}).exports;
};
