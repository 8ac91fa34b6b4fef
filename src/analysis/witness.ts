/**
 * Witness search: concrete requests for a scenario and target that `policy.decide` gives a wanted
 * effect. The finite attributes come from the scenario's configs (scenario.ts); every other attribute
 * the relevant conditions read is a "slot" whose candidate values come from the policy's own literals
 * and sets (harvest.ts) and from the tool's `args` types (samples.ts), plus "absent". Small spaces are
 * searched exhaustively, large ones by the defaults, each slot varied alone, then seeded pseudo-random
 * combinations, within a budget of `decide` calls.
 * GUARANTEE: a returned request has been decided by `policy.decide` with the wanted effect (and, for an
 * exact scenario, exactly the scenario's roles); nothing unverified is ever returned. Deterministic.
 */
import type { AttrRoot, IrPolicy } from "../ir/ir.js";
import type { Policy } from "../policy.js";
import type { Decision, Effect, PolicyRequest } from "../contract/index.js";
import { ATTRIBUTES, type RequestField } from "../contract/attributes.js";
import { harvest, type AttrRef, type Harvest } from "./harvest.js";
import { fieldValues, invalidArgs, validArgs } from "./samples.js";
import { closureOf, type ConfigResult, type ScenarioResult } from "./scenario.js";
import { attrKey } from "./solver.js";
import { attrsOf } from "./abstract.js";

/** A slot value meaning "leave the attribute out". */
const ABSENT = Symbol("absent");

export interface Budget {
  left: number;
}

interface Slot {
  readonly key: string;
  readonly values: readonly unknown[];
  readonly apply: (req: PolicyRequest, v: unknown) => void;
}

const harvests = new WeakMap<IrPolicy, Harvest>();
function harvestOf(ir: IrPolicy): Harvest {
  let h = harvests.get(ir);
  if (!h) harvests.set(ir, (h = harvest(ir)));
  return h;
}

function uniq(values: readonly unknown[]): unknown[] {
  const seen = new Set<string>();
  const out: unknown[] = [];
  for (const v of values) {
    const k = v === ABSENT ? "\u0000absent" : JSON.stringify(v) ?? String(v);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(v);
    }
  }
  return out;
}

function setPath(obj: Record<string, unknown>, path: readonly string[], v: unknown): void {
  let o = obj;
  for (const seg of path.slice(0, -1)) {
    const next = o[seg];
    if (typeof next !== "object" || next === null || Array.isArray(next)) {
      if (v === ABSENT) return;
      o[seg] = {};
    }
    o = o[seg] as Record<string, unknown>;
  }
  const last = path[path.length - 1]!;
  if (v === ABSENT) delete o[last];
  else o[last] = v;
}

function setField(req: PolicyRequest, part: RequestField, field: string, v: unknown): void {
  const obj = { ...(req[part] as Record<string, unknown> | undefined) };
  if (v === ABSENT) delete obj[field];
  else obj[field] = v;
  (req as Record<string, unknown>)[part] = obj;
}

/** `time` values covering the hours, minutes and weekdays the policy compares with (2026-01-04 is a Sunday). */
function timeValues(h: Harvest): unknown[] {
  const nums = (root: string, dflt: number, max: number) =>
    [dflt, ...((h.values.get(root) ?? []) as unknown[])].filter((v): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= max);
  // A zoned read (`time.in(Z).hour`) compares local hours: every UTC hour is tried then.
  const zoned = [...h.values.keys()].some((k) => k.startsWith("time.hour@"));
  const hours = uniq([...nums("time.hour", 10, 23), ...(zoned ? Array.from({ length: 24 }, (_, i) => i) : [])]) as number[];
  const minutes = uniq(nums("time.minute", 0, 59)) as number[];
  const days = uniq(nums("time.weekday", 1, 6)) as number[];
  const out: unknown[] = [];
  for (const d of days) for (const hr of hours) for (const m of minutes) if (out.length < 200) out.push(new Date(Date.UTC(2026, 0, 4 + d, hr, m)).toISOString());
  // No invalid time: such a request is refused before any rule (invalid_request), so it witnesses nothing.
  return out;
}

function slotFor(ref: AttrRef, h: Harvest, result: ScenarioResult, baseArgs: Record<string, unknown>): Slot | undefined {
  const key = attrKey(ref);
  const harvested = h.values.get(key) ?? [];
  const generic = harvested.length === 0 ? ["x", true, 1] : [];
  switch (ref.root) {
    case "principal.id":
      return { key, values: uniq(["agent-1", ...harvested, ABSENT]), apply: (r, v) => setField(r, "principal", "id", v) };
    case "principal.scopes":
    case "session.labels": {
      const members = (h.members.get(key) ?? []).filter((m): m is string => typeof m === "string");
      const pairs = members.length <= 10 ? members.flatMap((m, i) => members.slice(i + 1).map((n) => [m, n])) : [];
      const allBut = members.length > 2 ? members.map((m) => members.filter((n) => n !== m)) : [];
      const values = uniq([ABSENT, [], ...members.map((m) => [m]), members, ...pairs, ...allBut]);
      const [field, sub] = ref.root === "session.labels" ? (["session", "labels"] as const) : (["principal", "scopes"] as const);
      return { key, values, apply: (r, v) => setField(r, field, sub, v) };
    }
    case "principal.claims":
      return {
        key,
        values: uniq([ABSENT, ...harvested, ...generic, ...(h.members.get(key) ?? []).map((m) => [m])]),
        apply: (r, v) => {
          const claims = structuredClone(r.principal?.claims ?? {});
          setPath(claims, ref.path, v);
          setField(r, "principal", "claims", claims);
        },
      };
    case "client.ip":
      return { key, values: uniq(["203.0.113.7", ...harvested, ABSENT, "not-an-ip"]), apply: (r, v) => setField(r, "client", "ip", v) };
    case "client.certSubject":
      return { key, values: uniq([ABSENT, ...harvested, ...generic]), apply: (r, v) => setField(r, "client", "certSubject", v) };
    case "session.id":
      return { key, values: uniq(["session-1", ...harvested, ABSENT]), apply: (r, v) => setField(r, "session", "id", v) };
    case "time.hour":
    case "time.minute":
    case "time.weekday":
      return { key: "time", values: timeValues(h), apply: (r, v) => void (r.time = v as string) };
    case "resource.uri":
      return { key, values: uniq([ABSENT, ...harvested, ...generic]), apply: (r, v) => void (v === ABSENT ? delete r.resource : (r.resource = v as string)) };
    case "tool.name":
      return { key, values: uniq([ABSENT, ...harvested, ...generic]), apply: (r, v) => void (v === ABSENT ? delete r.tool : (r.tool = v as string)) };
    case "args": {
      if (ref.path.length === 0) return undefined; // the whole `args` (`any path arg`): its fields are the slots
      const field = fieldValues(result.tool?.args, ref.path);
      let current: unknown = baseArgs;
      for (const seg of ref.path) current = typeof current === "object" && current !== null ? (current as Record<string, unknown>)[seg] : undefined;
      const values = uniq([current === undefined ? ABSENT : current, ...harvested, ...field.values, ...generic, ABSENT]);
      return {
        key,
        values,
        apply: (r, v) => {
          const a = structuredClone(r.arguments ?? {});
          setPath(a, ref.path, v);
          r.arguments = a;
        },
      };
    }
    default: {
      // Finite attributes (annotations, client.tls, client.mtls) are fixed by the config. Any other row of
      // the registry (server.name, ...) is a slot of the policy's own values, read from its place in the request.
      const row = ATTRIBUTES[ref.root];
      if (row.domain.kind === "finite" || row.open) return undefined;
      const [field, sub] = row.at;
      const apply = (r: PolicyRequest, v: unknown) => {
        if (sub !== undefined) setField(r, field, sub, v);
        else if (v === ABSENT) delete (r as Record<string, unknown>)[field];
        else (r as Record<string, unknown>)[field] = v;
      };
      return { key, values: uniq([ABSENT, ...harvested, ...generic]), apply };
    }
  }
}

/** The slots of a scenario: every unknown attribute a relevant condition reads, once. */
function slotsOf(result: ScenarioResult, h: Harvest, baseArgs: Record<string, unknown>, known: (root: AttrRoot) => boolean): Slot[] {
  const slots = new Map<string, Slot>();
  for (const c of result.conditions) {
    for (const a of attrsOf(c)) {
      if (known(a.root) || slots.has(a.root.startsWith("time.") ? "time" : attrKey(a))) continue;
      if (a.root === "args" && result.target.kind !== "tool") continue;
      const s = slotFor({ root: a.root, path: a.path, text: a.text }, h, result, baseArgs);
      if (s) slots.set(s.key, s);
    }
  }
  return [...slots.values()];
}

/** mulberry32: a small seeded generator, so searches are reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Index tuples to try: all of them when few, else defaults, single changes, then random ones. */
function* assignments(sizes: readonly number[], limit: number): Generator<number[]> {
  const total = sizes.reduce((p, n) => p * n, 1);
  if (total <= limit) {
    const idx = sizes.map(() => 0);
    for (let n = 0; n < total; n++) {
      yield [...idx];
      for (let i = idx.length - 1; i >= 0; i--) {
        if (++idx[i]! < sizes[i]!) break;
        idx[i] = 0;
      }
    }
    return;
  }
  yield sizes.map(() => 0);
  for (let i = 0; i < sizes.length; i++) for (let v = 1; v < sizes[i]!; v++) yield sizes.map((_, j) => (j === i ? v : 0));
  const next = rng(sizes.length * 7919 + total);
  for (;;) yield sizes.map((n) => Math.floor(next() * n));
}

export interface WitnessQuery {
  readonly policy: Policy;
  readonly result: ScenarioResult;
  readonly want: Effect;
  /** For a deny: only a denial by the rules counts, not one by the args block. */
  readonly byRules?: boolean;
  readonly budget: Budget;
}

function acceptor(q: WitnessQuery): (d: Decision) => boolean {
  const { scenario } = q.result;
  const roles = scenario.exact ? [...closureOf(q.policy.ir, scenario.hostRoles)].sort().join(",") : undefined;
  return (d) =>
    d.effect === q.want &&
    (roles === undefined || d.roles.join(",") === roles) &&
    (!q.byRules || d.reasons.every((r) => r.code !== "invalid_argument" && r.code !== "internal_error"));
}

/** A request of the scenario that decides `want`, verified; undefined when none was found within the budget. */
export function findWitness(q: WitnessQuery): PolicyRequest | undefined {
  const h = harvestOf(q.policy.ir);
  const accept = acceptor(q);
  const configs = q.result.configs.filter((c) => c.effects.has(q.want));
  const argsList = q.result.target.kind === "tool" ? validArgs(q.result.tool?.args).slice(0, 3) : [undefined];
  if (argsList.length === 0) return undefined;
  for (const pass of [0, 1]) {
    for (const c of configs) {
      for (const args of argsList) {
        if (q.budget.left <= 0) return undefined;
        const found = searchConfig(q, c, h, args, accept, pass === 0 ? 64 : Math.max(64, Math.floor(q.budget.left / (configs.length * argsList.length))));
        if (found) return found;
      }
    }
  }
  return undefined;
}

function searchConfig(q: WitnessQuery, c: ConfigResult, h: Harvest, args: Record<string, unknown> | undefined, accept: (d: Decision) => boolean, limit: number): PolicyRequest | undefined {
  const base = structuredClone(c.env.req);
  if (args !== undefined) base.arguments = structuredClone(args);
  const slots = slotsOf(q.result, h, args ?? {}, c.env.known);
  const build = (idx: readonly number[]) => {
    const req = structuredClone(base);
    slots.forEach((s, i) => s.apply(req, s.values[idx[i]!]));
    return tidy(req);
  };
  let tried = 0;
  for (const idx of assignments(slots.map((s) => s.values.length), limit)) {
    if (tried++ >= limit || q.budget.left-- <= 0) return undefined;
    const req = build(idx);
    if (!accept(q.policy.decide(req))) continue;
    // Put back every slot's default that the witness does not need: the smallest change is the clearest.
    for (let i = 0; i < idx.length; i++) {
      if (idx[i] === 0) continue;
      q.budget.left--;
      if (accept(q.policy.decide(build(idx.map((v, j) => (j === i ? 0 : v)))))) idx[i] = 0;
    }
    return build(idx);
  }
  return undefined;
}

/** Drops the empty objects and lists a search leaves behind (`claims: {}`), which no condition can tell from absent. */
function tidy(req: PolicyRequest): PolicyRequest {
  const p = req.principal;
  if (p?.claims && Object.keys(p.claims).length === 0) delete p.claims;
  return req;
}

/** A request like `like` whose arguments the tool's args block refuses, verified to be denied for that. */
export function invalidArgsWitness(policy: Policy, result: ScenarioResult, like: PolicyRequest): PolicyRequest | undefined {
  const accept = acceptor({ policy, result, want: "deny", budget: { left: 0 } });
  for (const a of invalidArgs(result.tool?.args)) {
    const req = { ...structuredClone(like), arguments: a };
    const d = policy.decide(req);
    if (accept(d) && d.reasons.some((r) => r.code === "invalid_argument")) return req;
  }
  return undefined;
}
