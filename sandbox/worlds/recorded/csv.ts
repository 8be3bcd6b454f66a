/** Minimal CSV and GHCN-Daily readers for the recorded world (the corpus' CSVs have no quoted commas). */
import { readFileSync } from 'node:fs';
import type { GhcnDailyValue } from '../../../schemas/records';

export function readCsv(path: string): Array<Record<string, string>> {
  const text = readFileSync(path, 'utf8');
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  const rows: Array<Record<string, string>> = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const cells = line.split(',');
    const row: Record<string, string> = {};
    for (let c = 0; c < header.length; c++) row[header[c]!] = (cells[c] ?? '').trim();
    rows.push(row);
  }
  return rows;
}

/** A finite number, or undefined for '', 'nan', 'M' and the like. */
export function num(s: string | undefined): number | undefined {
  if (s == null) return undefined;
  const t = s.trim();
  if (t === '' || /^(nan|none|null|m)$/i.test(t)) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * NCEI GHCN-Daily fixed-width (.dly): TMAX/TMIN in tenths of °C. Missing (-9999) values are skipped;
 * values that failed a quality check are kept with their QFLAG, as NCEI serves them (the client is the
 * one that leaves them out).
 */
export function readDly(path: string): GhcnDailyValue[] {
  const byDate = new Map<string, GhcnDailyValue>();
  for (const line of readFileSync(path, 'utf8').split(/\r?\n/)) {
    if (line.length < 21) continue;
    const element = line.slice(17, 21);
    if (element !== 'TMAX' && element !== 'TMIN') continue;
    const ghcnId = line.slice(0, 11);
    const ym = `${line.slice(11, 15)}-${line.slice(15, 17)}`;
    for (let d = 0; d < 31; d++) {
      const off = 21 + d * 8;
      const value = Number(line.slice(off, off + 5));
      const qflag = line.charAt(off + 6);
      if (!Number.isFinite(value) || value === -9999) continue;
      const date = `${ym}-${String(d + 1).padStart(2, '0')}`;
      let v = byDate.get(date);
      if (!v) {
        v = { ghcnId, date };
        byDate.set(date, v);
      }
      const failed = qflag.trim() !== '';
      if (element === 'TMAX') {
        v.tmaxTenthsC = value;
        if (failed) v.tmaxQflag = qflag;
      } else {
        v.tminTenthsC = value;
        if (failed) v.tminQflag = qflag;
      }
    }
  }
  return [...byDate.values()].sort((a, b) => a.date.localeCompare(b.date));
}

/** Tenths of °C from a °F value converted by a third party (e.g. 84.92 -> 294). */
export const fToTenthsC = (f: number): number => Math.round(((f - 32) / 1.8) * 10);
