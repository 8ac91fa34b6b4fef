// CASL (@casl/ability): one MongoAbility per role, built once; the action is the tool name (CASL
// indexes its rules by action and subject type, its fastest layout), and read_file's rule carries a
// `$regex` condition on the subject's path: starts with /srv/data/ and no ".." after it.
import { createMongoAbility, subject } from "@casl/ability";
import { PATH_TOOL } from "../scenario.mjs";

const UNDER_DATA = /^\/srv\/data\/(?!.*\.\.)/;

export function load(sc) {
  const abilities = new Map();
  for (const role of sc.roles) {
    const rules = role.tools.map((tool) => (tool === PATH_TOOL ? { action: tool, subject: "Tool", conditions: { path: { $regex: UNDER_DATA } } } : { action: tool, subject: "Tool" }));
    abilities.set(role.name, createMongoAbility(rules));
  }
  const none = createMongoAbility([]);
  return {
    input: (req) => ({ ability: abilities.get(req.role) ?? none, tool: req.tool, subject: subject("Tool", { path: req.path ?? "" }) }),
    decide: (input) => input.ability.can(input.tool, input.subject),
  };
}
