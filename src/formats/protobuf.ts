// The few pieces of protobuf's wire format that writing an ONNX model needs
// (https://protobuf.dev/programming-guides/encoding/): varints and
// length-delimited fields (strings, bytes, nested messages). Written by hand
// rather than with a protobuf library: the library bundles nothing but fp-ts
// and io-ts and installs no dependency, export only writes (it never parses
// untrusted bytes), and the subset is a page of code. Pure over bytes; runs in
// a browser.

/** One field of a message, already encoded (tag and payload). A message is the concatenation of its fields. */
export type Field = Uint8Array;

const WIRE_VARINT = 0;
const WIRE_LENGTH = 2;

/** The varint encoding of a non-negative safe integer, or of a negative one as protobuf's int64 (ten bytes, two's complement). */
export const varint = (value: number): Uint8Array => {
  if (!Number.isSafeInteger(value)) throw new RangeError(`protobuf: ${value} is not a safe integer`);
  const out: number[] = [];
  if (value < 0) {
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    return Uint8Array.from(out);
  }
  // Division rather than shifts: JavaScript's bitwise operators stop at 32 bits.
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Uint8Array.from(out);
};

/** The parts, one after another, in one array. */
export const concat = (parts: readonly Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

const tag = (field: number, wire: number): Uint8Array => varint(field * 8 + wire);

/** An integer field (int32, int64, enum; a bool as 0 or 1). */
export const intField = (field: number, value: number): Field => concat([tag(field, WIRE_VARINT), varint(value)]);

/** A bytes field, or an embedded message given as its encoded fields. */
export const bytesField = (field: number, bytes: Uint8Array): Field => concat([tag(field, WIRE_LENGTH), varint(bytes.length), bytes]);

/** A string field, UTF-8. */
export const stringField = (field: number, text: string): Field => bytesField(field, new TextEncoder().encode(text));

/** An embedded message field. */
export const messageField = (field: number, fields: readonly Field[]): Field => bytesField(field, concat(fields));

/** A repeated integer field, one entry per value: proto2's own encoding (ONNX's .proto is proto2), which every reader accepts. */
export const repeatedInts = (field: number, values: readonly number[]): Field => concat(values.map((v) => intField(field, v)));
