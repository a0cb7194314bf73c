/** Fields every fault rule has. */
export interface FaultRuleBase {
  /** Route name (see `RouteName`) or "*" for every route. */
  route: string;
  /** Chance that a matching request is hit, drawn from the seeded generator; 1 when absent. */
  probability?: number;
  /** Stop after this many injections; unlimited when absent. */
  times?: number;
  /** Let this many matching requests through untouched first. */
  skip?: number;
  /** Only requests whose URL path contains this (decoded); every path when absent. Not for batch-fail. */
  pathIncludes?: string;
}

/** Answer with an error status instead of serving the request. */
export interface StatusFault extends FaultRuleBase {
  kind: "status";
  status: number;
  /** Seconds for `Retry-After` (and the `RateLimit` header on 429). */
  retryAfter?: number;
}

/** Serve the request after a pause. */
export interface DelayFault extends FaultRuleBase {
  kind: "delay";
  ms: number;
}

/** Destroy the socket without answering. */
export interface DropFault extends FaultRuleBase {
  kind: "drop";
}

/**
 * Answer, but break the connection once `afterBytes` bytes of the body went out (a body cut
 * short mid-transfer, as a reset or a proxy timeout does); half of the first write when absent.
 */
export interface CutFault extends FaultRuleBase {
  kind: "cut";
  afterBytes?: number;
}

/** Report some batch operations as failed in a 200 response, leaving them unapplied. */
export interface BatchFailFault extends FaultRuleBase {
  kind: "batch-fail";
  /** Only these paths; every path when absent (subject to `probability`). */
  paths?: string[];
  error?: string;
}

/** A fault injection rule. */
export type FaultRule = StatusFault | DelayFault | DropFault | CutFault | BatchFailFault;

/** What to do to one request. */
export interface RequestFaults {
  delayMs: number;
  action:
    | { kind: "status"; status: number; retryAfter?: number }
    | { kind: "drop" }
    | { kind: "cut"; afterBytes?: number }
    | null;
}

/** Runtime control of fault injection. */
export interface FaultController {
  add(rule: FaultRule): void;
  clear(): void;
  list(): readonly FaultRule[];
  /** Number of faults injected so far. */
  injected(): number;
  /** Faults for one request of `route` at `path` (consumes randomness and counts). */
  forRequest(route: string, path?: string): RequestFaults;
  /** The error to report for one batch operation, or null to apply it. */
  forBatchPath(route: string, path: string): string | null;
}

interface RuleState {
  rule: FaultRule;
  seen: number;
  hits: number;
  random: () => number;
}

/** mulberry32: small, fast, good enough to make injection reproducible from a seed. */
export const createRandom = (seed: number): (() => number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/**
 * Creates the fault controller. Each rule draws from its own generator seeded from `seed` and the rule's
 * position, so a rule's decisions depend only on how many matching requests it has seen.
 */
export function createFaults(seed: number, initial: readonly FaultRule[] = []): FaultController {
  const rules: RuleState[] = [];
  let injected = 0;
  const add = (rule: FaultRule): void => {
    rules.push({
      rule,
      seen: 0,
      hits: 0,
      random: createRandom(seed + Math.imul(rules.length + 1, 0x9e3779b9)),
    });
  };
  initial.forEach(add);

  const fires = (state: RuleState): boolean => {
    const { rule } = state;
    state.seen += 1;
    if (state.seen <= (rule.skip ?? 0)) return false;
    if (rule.times !== undefined && state.hits >= rule.times) return false;
    const probability = rule.probability ?? 1;
    if (probability < 1 && state.random() >= probability) return false;
    state.hits += 1;
    injected += 1;
    return true;
  };
  const matches = (rule: FaultRule, route: string): boolean => rule.route === "*" || rule.route === route;

  return {
    add,
    clear: () => {
      rules.length = 0;
    },
    list: () => rules.map((s) => s.rule),
    injected: () => injected,
    forRequest(route, path = "") {
      const out: RequestFaults = { delayMs: 0, action: null };
      for (const state of rules) {
        const { rule } = state;
        if (rule.kind === "batch-fail" || !matches(rule, route)) continue;
        if (rule.pathIncludes !== undefined && !path.includes(rule.pathIncludes)) continue;
        if (rule.kind === "delay") {
          if (fires(state)) out.delayMs += rule.ms;
        } else if (out.action === null && fires(state)) {
          out.action =
            rule.kind === "drop"
              ? { kind: "drop" }
              : rule.kind === "cut"
                ? rule.afterBytes === undefined
                  ? { kind: "cut" }
                  : { kind: "cut", afterBytes: rule.afterBytes }
                : rule.retryAfter === undefined
                  ? { kind: "status", status: rule.status }
                  : { kind: "status", status: rule.status, retryAfter: rule.retryAfter };
        }
      }
      return out;
    },
    forBatchPath(route, path) {
      for (const state of rules) {
        const { rule } = state;
        if (rule.kind !== "batch-fail" || !matches(rule, route)) continue;
        if (rule.paths !== undefined && !rule.paths.includes(path)) continue;
        if (fires(state)) return rule.error ?? "Injected transient failure, retry the operation";
      }
      return null;
    },
  };
}

/**
 * Parses a command-line fault spec `ROUTE:KIND[=VALUE][,key=value…]`, e.g. `batch:status=503,times=2`,
 * `tree:status=429,retry-after=2`, `cas-xorb:drop,times=1`, `resolve:delay=200`, `resolve:cut=4096`,
 * `batch:batch-fail,probability=0.3`, `batch:batch-fail,paths=a.txt|b.txt`.
 */
export function parseFaultSpec(spec: string): FaultRule {
  const colon = spec.indexOf(":");
  if (colon <= 0) throw new Error(`fault spec "${spec}" must look like ROUTE:KIND[=VALUE][,key=value]`);
  const route = spec.slice(0, colon);
  const [head = "", ...options] = spec.slice(colon + 1).split(",");
  const [kind, value] = head.split("=", 2) as [string, string | undefined];
  const numberOf = (text: string | undefined, what: string): number => {
    const n = Number(text);
    if (text === undefined || text === "" || !Number.isFinite(n))
      throw new Error(`fault spec "${spec}": ${what} needs a number`);
    return n;
  };
  let rule: FaultRule;
  switch (kind) {
    case "status":
      rule = { route, kind, status: numberOf(value, "status") };
      break;
    case "delay":
      rule = { route, kind, ms: numberOf(value, "delay") };
      break;
    case "drop":
      rule = { route, kind };
      break;
    case "cut":
      rule = value === undefined ? { route, kind } : { route, kind, afterBytes: numberOf(value, "cut") };
      break;
    case "batch-fail":
      rule = { route, kind };
      break;
    default:
      throw new Error(`fault spec "${spec}": unknown kind "${kind}" (status, delay, drop, cut, batch-fail)`);
  }
  for (const option of options) {
    const [key, text] = option.split("=", 2) as [string, string | undefined];
    if (key === "probability") rule.probability = numberOf(text, key);
    else if (key === "times") rule.times = numberOf(text, key);
    else if (key === "skip") rule.skip = numberOf(text, key);
    else if (key === "path" && rule.kind !== "batch-fail") rule.pathIncludes = text ?? "";
    else if (key === "retry-after" && rule.kind === "status") rule.retryAfter = numberOf(text, key);
    else if (key === "paths" && rule.kind === "batch-fail") rule.paths = (text ?? "").split("|");
    else throw new Error(`fault spec "${spec}": unknown option "${key}"`);
  }
  return rule;
}
