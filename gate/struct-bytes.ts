/**
 * A JSON value as the bytes of a `google.protobuf.Struct`, exactly as google-protobuf's
 * `Struct.fromJavaScript(v).serializeBinary()` writes them (google/protobuf/struct_pb.js at 3.21.4), without
 * building the message objects: that building was ~0.1 s of a prod gate run (a Value message per leaf,
 * docs/gate.md "Profile"). What the generated code does, and this does the same:
 * - Struct `fields` (field 1) is a map: one length-delimited entry per key, keys in `sort()` order
 *   (jspb.Map serializeBinary sorts its string keys), each entry `key` (1, string, written even when empty)
 *   and `value` (2, a Value message, written even when empty);
 * - Value is a oneof, the set member written even when it holds its default: null_value (1, enum 0),
 *   number_value (2, double, little-endian), string_value (3), bool_value (4), struct_value (5),
 *   list_value (6); ListValue `values` (1) is a repeated Value.
 * Strings are UTF-8. Returns undefined for what it does not reproduce byte for byte — nesting too deep for
 * its stack, a string with a lone
 * surrogate (jspb encodes the code unit, Buffer would write U+FFFD), a number JSON cannot hold, a `__proto__`
 * key (jspb.Map stores keys on a plain object), anything but JSON's types — and the caller encodes with
 * google-protobuf instead. `test/gate/wire.test.ts` compares both on every resource of both plans and on
 * edge values.
 */

/** Field tags (field number << 3 | wire type): all length-delimited (2) but null (enum), number (fixed64), bool. */
const Tag = {
  /** Struct.fields entry (1), and in an entry its key (1); ListValue.values (1). */
  Field1: 0x0a,
  EntryValue: 0x12,
  Null: 0x08,
  Number: 0x11,
  String: 0x1a,
  Bool: 0x20,
  Struct: 0x2a,
  List: 0x32,
} as const;

/** `String.prototype.isWellFormed` (node 20; not in this project's TypeScript lib). */
const wellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

/** Thrown inside the encoder for a value it does not reproduce; the caller gets undefined. */
const UNSUPPORTED = Symbol("unsupported");

/** Bytes being written: one growing buffer. */
class Out {
  buf = Buffer.allocUnsafe(4096);
  at = 0;

  reserve(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(next, 0, 0, this.at);
    this.buf = next;
  }

  byte(b: number): void {
    this.reserve(1);
    this.buf[this.at++] = b;
  }

  varint(n: number): void {
    this.reserve(10);
    let v = n;
    while (v > 0x7f) {
      this.buf[this.at++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.at++] = v;
  }

  string(tag: number, s: string): void {
    if (!wellFormed(s)) throw UNSUPPORTED;
    const n = Buffer.byteLength(s);
    this.byte(tag);
    this.varint(n);
    this.reserve(n);
    this.at += this.buf.write(s, this.at);
  }

  double(v: number): void {
    if (!Number.isFinite(v)) throw UNSUPPORTED;
    this.reserve(9);
    this.buf[this.at++] = Tag.Number;
    this.buf.writeDoubleLE(v, this.at);
    this.at += 8;
  }

  /** Writes `tag`, then what `body` writes, length-prefixed (the body is moved up when the length needs more than a byte). */
  message(tag: number, body: () => void): void {
    this.byte(tag);
    const lengthAt = this.at;
    this.at += 1;
    const start = this.at;
    body();
    const length = this.at - start;
    if (length < 0x80) {
      this.buf[lengthAt] = length;
      return;
    }
    const extra = varintSize(length) - 1;
    this.reserve(extra);
    this.buf.copyWithin(start + extra, start, this.at);
    this.at = lengthAt;
    this.varint(length);
    this.at = start + extra + length;
  }
}

function varintSize(n: number): number {
  let size = 1;
  for (let v = n; v > 0x7f; v = Math.floor(v / 128)) size++;
  return size;
}

function writeValue(out: Out, v: unknown): void {
  if (v === null) {
    out.byte(Tag.Null);
    out.byte(0);
  } else if (typeof v === "number") out.double(v);
  else if (typeof v === "string") out.string(Tag.String, v);
  else if (typeof v === "boolean") {
    out.byte(Tag.Bool);
    out.byte(v ? 1 : 0);
  } else if (Array.isArray(v)) out.message(Tag.List, () => writeList(out, v));
  else if (typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype)
    out.message(Tag.Struct, () => writeStruct(out, v as Record<string, unknown>));
  else throw UNSUPPORTED;
}

function writeList(out: Out, list: unknown[]): void {
  for (const x of list) out.message(Tag.Field1, () => writeValue(out, x));
}

function writeStruct(out: Out, o: Record<string, unknown>): void {
  const keys = Object.keys(o).sort();
  for (const k of keys) {
    if (k === "__proto__") throw UNSUPPORTED;
    out.message(Tag.Field1, () => {
      out.string(Tag.Field1, k);
      out.message(Tag.EntryValue, () => writeValue(out, o[k]));
    });
  }
}

/** The Struct bytes of a plain JSON object (JSON.parse's output), or undefined (see the header). */
export function structBytes(o: Record<string, unknown>): Buffer | undefined {
  const out = new Out();
  try {
    writeStruct(out, o);
  } catch (e) {
    // Nesting deeper than this recursion's stack (~1000 levels; google-protobuf's goes deeper): its turn.
    if (e === UNSUPPORTED || e instanceof RangeError) return undefined;
    throw e;
  }
  return Buffer.from(out.buf.subarray(0, out.at));
}
