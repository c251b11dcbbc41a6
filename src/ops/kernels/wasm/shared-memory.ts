// Kernel modules on a shared WebAssembly memory, for threads that run kernels
// on one heap (compile's helper threads). A memory import must say whether
// it is shared, so the shared modules are the same bytes with the import's
// limits rewritten (shared, with a maximum); nothing else in them changes.

/** Pages (64 KiB) a shared heap may grow to: 1 GiB. */
export const SHARED_MAX_PAGES = 16384;

const readLeb = (b: Uint8Array, at: number): { readonly value: number; readonly next: number } => {
  let value = 0;
  let shift = 0;
  let i = at;
  for (;;) {
    const byte = b[i++]!;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return { value, next: i };
    shift += 7;
  }
};

const leb = (n: number): number[] => {
  const out: number[] = [];
  let v = n;
  do {
    const byte = v % 128;
    v = Math.floor(v / 128);
    out.push(v > 0 ? byte | 0x80 : byte);
  } while (v > 0);
  return out;
};

/**
 * The module with its memory import declared shared, at most `maxPages`
 * pages. The kernel modules import only env.memory; anything else in the
 * import section is a RangeError.
 */
export const withSharedMemory = (bytes: Uint8Array, maxPages = SHARED_MAX_PAGES): Uint8Array => {
  const out: number[] = Array.from(bytes.subarray(0, 8));
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at]!;
    const { value: size, next } = readLeb(bytes, at + 1);
    const body = bytes.subarray(next, next + size);
    if (id !== 2) {
      out.push(...bytes.subarray(at, next + size));
    } else {
      const { value: count, next: p0 } = readLeb(body, 0);
      const section: number[] = leb(count);
      let p = p0;
      for (let e = 0; e < count; e++) {
        const start = p;
        const mod = readLeb(body, p);
        const field = readLeb(body, mod.next + mod.value);
        p = field.next + field.value;
        if (body[p] !== 2) throw new RangeError('withSharedMemory: a kernel module imports something other than its memory');
        section.push(...body.subarray(start, p + 1));
        const flags = body[p + 1]!;
        const min = readLeb(body, p + 2);
        p = flags & 1 ? readLeb(body, min.next).next : min.next;
        section.push(0x03, ...leb(min.value), ...leb(maxPages));
      }
      out.push(2, ...leb(section.length), ...section);
    }
    at = next + size;
  }
  return Uint8Array.from(out);
};
