/**
 * Injected trouble: counted fault rules (`POST /_sim/faults`), an outage (`POST /_sim/outage`) and seeded random
 * chaos (`POST /_sim/chaos`), consulted in that order. A rule applies to the next `count` matching requests; the
 * outage answers every request (the token endpoint included) until it ends; chaos draws exactly one number per
 * matching request, so the same seed and the same request sequence give the same faults.
 */
import {
  CHAOS_FAULT_TYPES,
  type ChaosSpec,
  type Fault,
  type FaultMatch,
  type OutageSpec,
  type OutageStatus,
} from './model';
import { TOKEN_PATH } from './world';

interface FaultRule {
  match: FaultMatch;
  fault: Fault;
  remaining: number;
}

/** A small, fast, seedable generator (mulberry32): numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** `/source/flags` is a regular expression; anything else is a substring. */
function pathMatches(pattern: string, path: string): boolean {
  const regex = /^\/(.+)\/([dgimsuy]*)$/.exec(pattern);
  if (regex?.[1] !== undefined) {
    try {
      return new RegExp(regex[1], regex[2]).test(path);
    } catch {
      return path.includes(pattern);
    }
  }
  return path.includes(pattern);
}

/** The token endpoint is only hit when the match names a path that matches it. */
export function matches(match: FaultMatch | undefined, method: string, path: string): boolean {
  const isToken = path.startsWith(TOKEN_PATH);
  if (match?.method !== undefined && match.method.toUpperCase() !== method.toUpperCase()) return false;
  if (match?.path === undefined) return !isToken;
  return pathMatches(match.path, path);
}

/** The fault a request gets, and whether it is the outage's. */
export interface PickedFault {
  fault: Fault;
  outage: boolean;
}

interface Outage {
  since: Date;
  until?: Date;
  dropRate: number;
  random: () => number;
  refused: number;
}

export class FaultBoard {
  private rules: FaultRule[] = [];
  private chaos?: { spec: ChaosSpec; random: () => number };
  private outage?: Outage;

  add(match: FaultMatch, fault: Fault, count: number): void {
    this.rules.push({ match, fault, remaining: count });
  }

  clearRules(): void {
    this.rules = [];
  }

  setChaos(spec: ChaosSpec): void {
    this.chaos = { spec, random: seededRandom(spec.seed ?? 1) };
  }

  clearChaos(): void {
    delete this.chaos;
  }

  /** Knox goes down from `now`: until `spec.until`, for `spec.durationMs`, or until clearOutage(). */
  setOutage(spec: OutageSpec, now: Date): void {
    const until =
      spec.until !== undefined
        ? new Date(spec.until)
        : spec.durationMs !== undefined
          ? new Date(now.getTime() + spec.durationMs)
          : undefined;
    this.outage = {
      since: now,
      ...(until ? { until } : {}),
      dropRate: spec.dropRate,
      random: seededRandom(spec.seed ?? 1),
      refused: 0,
    };
  }

  clearOutage(): void {
    delete this.outage;
  }

  /** Whether Knox is down at `now` (an outage past its end is forgotten). */
  outageStatus(now: Date): OutageStatus {
    const o = this.outage;
    if (o?.until !== undefined && now >= o.until) delete this.outage;
    if (!this.outage || !o) return { active: false, refused: o?.refused ?? 0 };
    return {
      active: true,
      since: o.since.toISOString(),
      ...(o.until ? { until: o.until.toISOString() } : {}),
      dropRate: o.dropRate,
      refused: o.refused,
    };
  }

  /** The fault this request gets, if any: the first matching rule (used up one at a time), else the outage, else chaos. */
  pick(method: string, path: string, now: Date = new Date()): PickedFault | undefined {
    const rule = this.rules.find((r) => r.remaining > 0 && matches(r.match, method, path));
    if (rule) {
      rule.remaining -= 1;
      this.rules = this.rules.filter((r) => r.remaining > 0);
      return { fault: rule.fault, outage: false };
    }
    if (this.outageStatus(now).active && this.outage) {
      this.outage.refused += 1;
      return { fault: { type: this.outage.random() < this.outage.dropRate ? 'drop' : 'error500' }, outage: true };
    }
    const chaos = this.pickChaos(method, path);
    return chaos ? { fault: chaos, outage: false } : undefined;
  }

  private pickChaos(method: string, path: string): Fault | undefined {
    if (!this.chaos || !matches(this.chaos.spec.match, method, path)) return undefined;
    const { spec, random } = this.chaos;
    const draw = random();
    let threshold = 0;
    for (const type of CHAOS_FAULT_TYPES) {
      threshold += spec.rates[type] ?? 0;
      if (draw < threshold) {
        return {
          type,
          ...(spec.latencyMs !== undefined ? { latencyMs: spec.latencyMs } : {}),
          ...(spec.retryAfterSeconds !== undefined ? { retryAfterSeconds: spec.retryAfterSeconds } : {}),
        };
      }
    }
    return undefined;
  }

  /** What is armed, for the control surface. */
  describe(now: Date = new Date()): {
    rules: { match: FaultMatch; fault: Fault; remaining: number }[];
    chaos?: ChaosSpec;
    outage: OutageStatus;
  } {
    return {
      rules: this.rules.map((r) => ({ ...r })),
      ...(this.chaos ? { chaos: this.chaos.spec } : {}),
      outage: this.outageStatus(now),
    };
  }
}
