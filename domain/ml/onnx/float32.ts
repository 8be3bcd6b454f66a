/**
 * float32 helpers for the exporter. ONNX tree ensembles hold float32 thresholds and compare float32
 * inputs; the TypeScript predictor compares `Math.fround(x) <= t` with t a double. Rounding t DOWN to
 * the largest float32 <= t keeps every float32 comparison the same (x <= t iff x <= that float32),
 * whereas rounding to nearest could move a threshold above t and flip rows that equal it.
 */
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The largest float32 that is <= t (t itself when it is float32-representable). */
export function float32AtOrBelow(t: number): number {
  if (Number.isNaN(t)) throw new RangeError('threshold is NaN');
  const r = Math.fround(t);
  return r <= t ? r : nextFloat32Down(r);
}

/** The float32 just below r (r a float32, not -Infinity or NaN). */
export function nextFloat32Down(r: number): number {
  if (r === 0) return -1.401298464324817e-45; // -(smallest subnormal), for +0 and -0 alike
  f32[0] = r;
  u32[0] = r > 0 ? u32[0]! - 1 : u32[0]! + 1; // sign-magnitude: a smaller magnitude when positive, larger when negative
  return f32[0]!;
}

/** Little-endian bytes of the values as float32 (TensorProto.raw_data). */
export function float32Bytes(values: ArrayLike<number>): Uint8Array {
  const a = Float32Array.from(values as ArrayLike<number>);
  const bytes = new Uint8Array(a.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < a.length; i++) view.setFloat32(i * 4, a[i]!, true);
  return bytes;
}

/** Little-endian bytes of the values as float64 (TensorProto.raw_data of a DOUBLE tensor). */
export function float64Bytes(values: ArrayLike<number>): Uint8Array {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat64(i * 8, values[i]!, true);
  return bytes;
}
