// The scale benchmark's generated policy (1,000 roles x 200 tools) and its request mix, both from
// mulberry32 with fixed seeds, plus the 10,000-rule policy text of the compile-time benchmark.
import { Rng } from "./prng.mjs";

export const SCALE_ROLES = 1000;
export const SCALE_TOOLS = 200;
export const SCALE_POLICY_SEED = 7;
export const SCALE_MIX_SEED = 42;

const tname = (j) => `t_${j}`;

/**
 * Role r_i:  allow 12 exact tools; for one role in five a glob (`t_<d>*`); allow 4 tools when
 * client.ip is in corp_nets; allow 3 tools when "write" is in principal.scopes; deny 2 tools; deny one
 * tool unless client.tls; one role in ten a rate limit. Top level: a tool set `danger` (t_190..t_199)
 * denied without TLS. Tool blocks for every fourth tool (risk + a closed args object with a
 * path(root:), an integer and an enum), approval for every 25th.
 * Returns { text, roles: [{ name, allow: [tool names a principal of it may try] }], rules }.
 */
export function scalePolicy(nRoles = SCALE_ROLES, nTools = SCALE_TOOLS, seed = SCALE_POLICY_SEED) {
  const rng = new Rng(seed);
  const lines = [];
  let rules = 0;
  lines.push(`policy "scale-${nRoles}x${nTools}" version "1.0.0"`, "default deny", "");
  lines.push(`set corp_nets: cidr = ["10.0.0.0/8", "192.168.0.0/16", "172.16.0.0/12"]`);
  const danger = [];
  for (let j = nTools - 10; j < nTools; j++) danger.push(tname(j));
  lines.push(`set danger: tool = [${danger.map((t) => JSON.stringify(t)).join(", ")}]`);
  lines.push(`deny tool danger unless client.tls because "dangerous tools need TLS"`, "");
  rules++;
  const roles = [];
  for (let i = 0; i < nRoles; i++) {
    const picks = rng.sample(nTools, 22).map(tname);
    const exact = picks.slice(0, 12);
    const onNet = picks.slice(12, 16);
    const withWrite = picks.slice(16, 19);
    const denied = picks.slice(19, 21);
    const tlsOnly = picks[21];
    const body = [];
    body.push(`  allow tool ${exact.join(", ")}`);
    const tryable = [...exact, ...onNet, ...withWrite];
    if (i % 5 === 0) {
      const d = 1 + rng.int(9);
      body.push(`  allow tool "t_${d}*" unless client.ip in corp_nets`);
      tryable.push(tname(d), tname(d * 10 + rng.int(10)));
      rules++;
    }
    body.push(`  allow tool ${onNet.join(", ")} when client.ip in corp_nets`);
    body.push(`  allow tool ${withWrite.join(", ")} when "write" in principal.scopes`);
    body.push(`  deny tool ${denied.join(", ")} because "r_${i} may not use these"`);
    body.push(`  deny tool ${tlsOnly} unless client.tls`);
    rules += 5;
    if (i % 10 === 0) body.push(`  limit rate ${50 + rng.int(100)} per minute`);
    lines.push(`role r_${i} {`, ...body, "}", "");
    roles.push({ name: `r_${i}`, tryable, denied: [...denied, tlsOnly] });
  }
  for (let j = 0; j < nTools; j++) {
    if (j % 4 !== 0 && j % 25 !== 0) continue;
    const body = [`  risk ${["low", "medium", "high", "critical"][j % 4 === 0 ? (j / 4) % 4 : 3]}`];
    if (j % 25 === 0) body.push(`  approval required when not ("admin" in principal.scopes)`);
    if (j % 4 === 0) {
      body.push("  args {", `    path: path(root: "/workspace")`, "    limit?: integer(min: 1, max: 1000)", `    mode?: enum("fast", "full")`, "  }");
    }
    lines.push(`tool ${tname(j)} {`, ...body, "}", "");
  }
  lines.push("limit rate 600 per minute burst 100 by client");
  return { text: lines.join("\n") + "\n", roles, rules };
}

const IPS = ["10.1.2.3", "10.200.0.9", "192.168.0.44", "172.20.1.1", "203.0.113.7", "198.51.100.2", "2001:db8::1"];
const GOOD_PATHS = ["/workspace/src/a.ts", "/workspace/docs/x.md", "src/rel/path.txt", "/workspace/deep/a/b/c/d.json"];
const BAD_PATHS = ["/etc/passwd", "/workspace/../etc/shadow", "../../x", "/workspace2/x"];

/**
 * 10,000 `tools/call` requests over the scale policy: 90% one role drawn from all 1,000, 6% two roles
 * (from a fixed pool of 24 pairs), 2% an unknown role, 2% no role. The tool is one the role names in
 * an allow rule (70%), any t_j (25%), or an unknown name (5%). Arguments are given for every tool;
 * tools with an args block get a valid path 80% of the time.
 */
export function scaleMix(policy, n = 10_000, seed = SCALE_MIX_SEED) {
  const rng = new Rng(seed);
  const pairs = Array.from({ length: 24 }, () => rng.sample(policy.roles.length, 2));
  const out = [];
  for (let i = 0; i < n; i++) {
    const kind = rng.weighted([[90, "one"], [6, "two"], [2, "unknown"], [2, "none"]]);
    let roleIdx = rng.int(policy.roles.length);
    let roles;
    if (kind === "one") roles = [policy.roles[roleIdx].name];
    else if (kind === "two") {
      const p = rng.pick(pairs);
      roleIdx = p[0];
      roles = p.map((k) => policy.roles[k].name);
    } else if (kind === "unknown") roles = [`r_${SCALE_ROLES + rng.int(100)}`];
    else roles = [];
    const role = policy.roles[roleIdx];
    const toolKind = rng.weighted([[70, "role"], [25, "any"], [5, "unknown"]]);
    const tool = toolKind === "role" ? rng.pick(role.tryable) : toolKind === "any" ? tname(rng.int(SCALE_TOOLS)) : rng.pick(["send_email", "u_1", "t_x", "T_1"]);
    const j = Number(tool.slice(2));
    let args;
    if (j % 4 === 0) {
      args = { path: rng.chance(0.8) ? rng.pick(GOOD_PATHS) : rng.pick(BAD_PATHS) };
      if (rng.chance(0.3)) args.limit = rng.pick([10, 100, 5000, 0.5]);
      if (rng.chance(0.2)) args.mode = rng.pick(["fast", "full", "slow"]);
    } else args = { q: "x", n: rng.int(10) };
    const principal = { id: `u-${rng.int(5000)}`, roles, scopes: rng.pick([["read"], ["read", "write"], [], ["admin", "write"]]) };
    out.push({
      principal,
      method: "tools/call",
      tool,
      arguments: args,
      client: { ip: rng.pick(IPS), tls: rng.chance(0.9) },
      session: { id: `s-${rng.int(5000)}` },
    });
  }
  return out;
}

/**
 * A 10,000-rule policy for the compile-time benchmark: 500 roles x 20 rules over 400 tools, 10
 * cidr sets, 10 string sets, 10 tool sets, 5 domain sets; every rule has a condition (when and/or
 * unless) mixing cidr sets, string sets, scopes, claims, time and annotations; 100 tool blocks.
 * `quoted: true` writes the same tool names as strings (`"tool_7"`), the same policy for every
 * decision; only the checker's "undeclared tool name" lint (W0006) skips quoted names.
 */
export function compilePolicyText(nRoles = 500, perRole = 20, { seed = 99, quoted = false } = {}) {
  const rng = new Rng(seed);
  const L = [`policy "compile-${nRoles}x${perRole}" version "1.0.0"`, "default deny", ""];
  for (let k = 0; k < 10; k++) L.push(`set nets_${k}: cidr = ["10.${k}.0.0/16", "192.168.${k}.0/24", "fd${k}0::/16"]`);
  for (let k = 0; k < 10; k++) L.push(`set teams_${k}: string = ["team-${k}", "team-${k + 10}", "ops"]`);
  for (let k = 0; k < 10; k++) L.push(`set tools_${k}: tool = ["tool_${k}_*", "tool_${k + 10}", "tool_${k + 20}"]`);
  for (let k = 0; k < 5; k++) L.push(`set hosts_${k}: domain = ["api${k}.example.com", "*.svc${k}.example.com"]`);
  L.push("");
  let rules = 0;
  const cond = () =>
    rng.pick([
      () => `client.ip in nets_${rng.int(10)}`,
      () => `principal.claims.team in teams_${rng.int(10)}`,
      () => `"scope_${rng.int(20)}" in principal.scopes`,
      () => `client.ip in nets_${rng.int(10)} and client.tls`,
      () => `time.hour >= ${rng.int(12)} and time.hour < ${12 + rng.int(12)}`,
      () => `annotations.readOnlyHint or principal.id == "svc-${rng.int(100)}"`,
      () => `not (client.ip in nets_${rng.int(10)}) or has principal.claims.break_glass`,
    ])();
  for (let i = 0; i < nRoles; i++) {
    L.push(`role role_${i} {`);
    for (let k = 0; k < perRole; k++) {
      const effect = k % 5 === 4 ? "deny" : "allow";
      const target = rng.chance(0.2) ? `tools_${rng.int(10)}` : rng.sample(400, 1 + rng.int(4)).map((t) => (quoted ? `"tool_${t}"` : `tool_${t}`)).join(", ");
      let line = `  ${effect} tool ${target} when ${cond()}`;
      if (rng.chance(0.3)) line += ` unless ${cond()}`;
      if (effect === "deny") line += ` because "role_${i} rule ${k}"`;
      L.push(line);
      rules++;
    }
    L.push("}", "");
  }
  for (let t = 0; t < 100; t++) {
    L.push(`tool tool_${t} {`, `  risk ${["low", "medium", "high", "critical"][t % 4]}`, "  args {", `    path: path(root: "/srv/${t}")`, `    url?: url(schemes: ["https"], hosts: hosts_${t % 5}, deny: nets_${t % 10})`, "    n?: integer(min: 0, max: 100)", "  }", "}", "");
  }
  return { text: L.join("\n"), rules };
}

/**
 * The lean 50,000-rule policy of issue 16's compile target: 2,500 roles x 20 one-line rules over 400
 * tools (`allow|deny tool t_N when client.ip in nets_K`, 10 cidr sets), about 2.2 MB of text (under
 * the 4 MB source limit, which compilePolicyText(2500, 20) is not).
 */
export function leanPolicyText(nRoles = 2500, perRole = 20) {
  const L = [`policy "lean-${nRoles}x${perRole}" version "1.0.0"`, "default deny", ""];
  for (let k = 0; k < 10; k++) L.push(`set nets_${k}: cidr = ["10.${k}.0.0/16"]`);
  for (let i = 0; i < nRoles; i++) {
    L.push(`role r${i} {`);
    for (let k = 0; k < perRole; k++) L.push(`  ${k % 5 === 4 ? "deny" : "allow"} tool t_${(i * 7 + k) % 400} when client.ip in nets_${k % 10}`);
    L.push("}");
  }
  return { text: L.join("\n") + "\n", rules: nRoles * perRole };
}
