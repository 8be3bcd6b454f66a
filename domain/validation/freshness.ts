/**
 * Hours from the newest data to the reference time (0 when the newest is at or after it, null when
 * there is no data), to 1/10 h.
 */
export function stalenessHours(newest: string | null, asOf: string): number | null {
  if (newest === null) return null;
  const h = (Date.parse(asOf) - Date.parse(newest)) / 3_600_000;
  if (!Number.isFinite(h)) return null;
  return Math.max(0, Math.round(h * 10) / 10);
}
