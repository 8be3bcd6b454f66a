import { describe, expect, it } from 'vitest';
import { float32AtOrBelow, float32Bytes, nextFloat32Down } from './float32';

describe('float32AtOrBelow', () => {
  it('keeps float32 values, and rounds others down, never up', () => {
    expect(float32AtOrBelow(1.5)).toBe(1.5);
    expect(float32AtOrBelow(-2)).toBe(-2);
    expect(float32AtOrBelow(Infinity)).toBe(Infinity);
    // 0.1 rounds UP to nearest float32 (0.100000001...), so the float32 below it is taken.
    expect(Math.fround(0.1)).toBeGreaterThan(0.1);
    const down = float32AtOrBelow(0.1);
    expect(down).toBeLessThan(0.1);
    expect(Math.fround(down)).toBe(down);
    expect(nextFloat32Down(Math.fround(0.1))).toBe(down);
    // Just below a float32 value by less than a float32 step: the float32 below, not the value itself.
    expect(float32AtOrBelow(1.5 - 1e-9)).toBe(nextFloat32Down(1.5));
    expect(float32AtOrBelow(-1.5 - 1e-9)).toBe(nextFloat32Down(-1.5));
    // Beyond float32's range: the largest finite float32.
    expect(float32AtOrBelow(1e39)).toBe(3.4028234663852886e38);
    expect(() => float32AtOrBelow(NaN)).toThrow('threshold is NaN');
  });

  it('keeps every float32 comparison: fround(x) <= t iff fround(x) <= float32AtOrBelow(t)', () => {
    const ts = [0.1, -0.1, 1 / 3, -1 / 3, 1e-40, -1e-40, 123456.789, 1.5 - 1e-9, 0, -0];
    for (const t of ts) {
      const r = float32AtOrBelow(t);
      for (const x of [r, nextFloat32Down(r), Math.fround(t), nextFloat32Down(Math.fround(t)), -nextFloat32Down(-r)]) {
        expect(Math.fround(x) <= r, `t=${t} x=${x}`).toBe(Math.fround(x) <= t);
      }
    }
  });

  it('nextFloat32Down steps one float32 down across zero and signs', () => {
    expect(nextFloat32Down(1)).toBe(1 - 2 ** -24);
    expect(nextFloat32Down(-1)).toBe(-(1 + 2 ** -23));
    expect(nextFloat32Down(0)).toBe(-(2 ** -149));
    expect(nextFloat32Down(2 ** -149)).toBe(0);
  });

  it('float32Bytes writes little-endian float32', () => {
    const b = float32Bytes([1, -2, 0.1]);
    expect(Array.from(new Float32Array(b.buffer))).toEqual([1, -2, Math.fround(0.1)]);
    expect(Array.from(b.subarray(0, 4))).toEqual([0x00, 0x00, 0x80, 0x3f]);
  });
});
