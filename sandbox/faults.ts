/**
 * Seeded fault injection for the sandbox, per source (the first path segment: kalshi, iem, nws, ...).
 * Each request draws once from the source's seeded stream, so a fault schedule is reproducible for a
 * given seed and request order.
 */
import seedrandom from 'seedrandom';
import { z } from 'zod';

export const FaultRatesSchema = z.object({
  /** Extra latency added to every request (ms), uniformly drawn from [0, latencyMs]. */
  latencyMs: z.number().min(0).default(0),
  /** Probabilities per request (summed, they must stay <= 1). */
  rate429: z.number().min(0).max(1).default(0),
  rate5xx: z.number().min(0).max(1).default(0),
  /** The connection is destroyed before any response. */
  rateDrop: z.number().min(0).max(1).default(0),
  /** The body is cut in half (Content-Length of the full body is not sent). */
  rateTruncate: z.number().min(0).max(1).default(0),
  /** The body is replaced by invalid JSON / garbage. */
  rateMalformed: z.number().min(0).max(1).default(0),
  /** A JSON body's first array element or object loses a field: the payload no longer matches its schema. */
  rateSchemaDrift: z.number().min(0).max(1).default(0),
  /** The request is accepted and never answered (a hung upstream): only the client's timeout ends it. */
  rateHang: z.number().min(0).max(1).default(0),
});
export type FaultRates = z.infer<typeof FaultRatesSchema>;

export const FaultConfigSchema = z.object({
  seed: z.union([z.string(), z.number()]).default('faults'),
  /** Rates for every source, then per-source overrides, e.g. { kalshi: { rate429: 0.2 } }. */
  all: FaultRatesSchema.partial().default({}),
  sources: z.record(z.string(), FaultRatesSchema.partial()).default({}),
});
export type FaultConfig = z.input<typeof FaultConfigSchema>;

export type FaultKind = 'none' | '429' | '5xx' | 'drop' | 'truncate' | 'malformed' | 'schema-drift' | 'hang';

export interface FaultDecision {
  kind: FaultKind;
  latencyMs: number;
}

export class FaultInjector {
  private readonly config: z.infer<typeof FaultConfigSchema>;
  private readonly streams = new Map<string, () => number>();
  /** Counts per source and fault kind, for tests and /health. */
  readonly counts: Record<string, Partial<Record<FaultKind, number>>> = {};

  constructor(config: FaultConfig = {}) {
    this.config = FaultConfigSchema.parse(config);
  }

  private rates(source: string): FaultRates {
    return FaultRatesSchema.parse({ ...this.config.all, ...(this.config.sources[source] ?? {}) });
  }

  decide(source: string): FaultDecision {
    let rng = this.streams.get(source);
    if (!rng) {
      rng = seedrandom(`${this.config.seed}:${source}`);
      this.streams.set(source, rng);
    }
    const r = this.rates(source);
    const draw = rng();
    const latencyMs = r.latencyMs > 0 ? Math.round(rng() * r.latencyMs) : 0;
    const table: Array<[FaultKind, number]> = [
      ['429', r.rate429],
      ['5xx', r.rate5xx],
      ['drop', r.rateDrop],
      ['truncate', r.rateTruncate],
      ['malformed', r.rateMalformed],
      ['schema-drift', r.rateSchemaDrift],
      ['hang', r.rateHang],
    ];
    let acc = 0;
    let kind: FaultKind = 'none';
    for (const [k, p] of table) {
      acc += p;
      if (draw < acc) {
        kind = k;
        break;
      }
    }
    const bySource = (this.counts[source] ??= {});
    bySource[kind] = (bySource[kind] ?? 0) + 1;
    return { kind, latencyMs };
  }
}

/** Removes one field from the first object found in a JSON payload (depth-first), to break its schema. */
export function driftPayload(body: unknown): unknown {
  const visit = (node: unknown): boolean => {
    if (Array.isArray(node)) return node.some(visit);
    if (node && typeof node === 'object') {
      const obj = node as Record<string, unknown>;
      for (const [k, v] of Object.entries(obj)) {
        if (v !== null && typeof v === 'object' && visit(v)) return true;
      }
      const keys = Object.keys(obj).filter((k) => obj[k] !== null && typeof obj[k] !== 'object');
      if (keys.length > 0) {
        // A required scalar turns into the wrong type: the most common real drift (e.g. cents -> dollars).
        obj[keys[0]!] = { drifted: obj[keys[0]!] };
        return true;
      }
    }
    return false;
  };
  visit(body);
  return body;
}
