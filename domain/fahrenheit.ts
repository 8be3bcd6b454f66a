import { InvalidBracketError, describeValue } from './errors';

/*
 * The one rounding rule for degrees Fahrenheit. Settlement highs are whole °F (the CLI reports whole
 * degrees), so every real-valued °F that meets a bracket, a settlement or a label is rounded here:
 * round half up on the value's exact binary value. Everything else calls these functions: GHCN tenths
 * of °C (clients/ncei.ts), CLI values (clients/iem.ts), Kalshi expiration values, forecasts mapped to
 * brackets (brackets.ts findBracketForTemp), the sandbox's renderings.
 */

/**
 * Round half up: the fraction .5 goes to the next integer above, for negatives too
 * (84.5 -> 85, -0.5 -> 0, -1.5 -> -1). x - floor(x) is exact in binary floating point,
 * unlike Math.floor(x + 0.5), which turns 0.49999999999999994 into 1.
 */
export function roundHalfUp(x: number): number {
  if (!Number.isFinite(x)) throw new InvalidBracketError(`temperature ${describeValue(x)} is not a finite number`);
  const f = Math.floor(x);
  const r = x - f >= 0.5 ? f + 1 : f;
  return r === 0 ? 0 : r;
}

/** A real-valued °F as the whole degree it settles as (the name callers should read). */
export const wholeFahrenheit = roundHalfUp;

/** °F from tenths of °C, before rounding (294 -> 84.92). */
export const tenthsCToFahrenheit = (tenths: number): number => (tenths / 10) * 1.8 + 32;

/**
 * Tenths of °C (GHCN-Daily) -> whole °F by the same half-up rule, in exact integer arithmetic: the
 * exact value is (9·tenths + 1600) / 50, so a float product such as 2.5 × 1.8 never decides a tie
 * (306 -> 87.08 -> 87; 25 -> 36.5 -> 37; -25 -> 27.5 -> 28).
 */
export function tenthsCToWholeFahrenheit(tenths: number): number {
  if (!Number.isSafeInteger(tenths)) throw new InvalidBracketError(`tenths of °C ${describeValue(tenths)} is not an integer`);
  const r = Math.floor((9 * tenths + 1600 + 25) / 50);
  return r === 0 ? 0 : r;
}

/**
 * The whole °F at the start of a free-text value such as Kalshi's expiration_value ("63.00", or
 * "84. Although the Daily Climate Report was not finalized …"), or undefined when it starts with none.
 */
export function wholeFahrenheitFromText(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const m = /^\s*(-?\d+(?:\.\d+)?)/.exec(text);
  return m ? roundHalfUp(Number(m[1])) : undefined;
}
