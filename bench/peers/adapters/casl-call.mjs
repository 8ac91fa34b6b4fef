// CASL (@casl/ability) in the other common layout: one action "call" on subject "Tool", the role's
// tools as a `name: { $in: [...] }` condition and read_file's path as a `$regex` condition. Beside
// casl.mjs (action = tool name) to show what the rule layout costs in CASL.
import { createMongoAbility, subject } from "@casl/ability";
import { PATH_TOOL } from "../scenario.mjs";

const UNDER_DATA = /^\/srv\/data\/(?!.*\.\.)/;

export function load(sc) {
  const abilities = new Map();
  for (const role of sc.roles) {
    const others = role.tools.filter((t) => t !== PATH_TOOL);
    const rules = [{ action: "call", subject: "Tool", conditions: { name: { $in: others } } }];
    if (others.length < role.tools.length) rules.push({ action: "call", subject: "Tool", conditions: { name: PATH_TOOL, path: { $regex: UNDER_DATA } } });
    abilities.set(role.name, createMongoAbility(rules));
  }
  const none = createMongoAbility([]);
  return {
    input: (req) => ({ ability: abilities.get(req.role) ?? none, subject: subject("Tool", { name: req.tool, path: req.path ?? "" }) }),
    decide: (input) => input.ability.can("call", input.subject),
  };
}
