/**
 * gateway/router: one client session in front of the enforcers of its upstreams (design: issue 13,
 * "router"; the naming scheme: docs/gateway-routing.md). Pure: it only calls its targets and `toClient`.
 * One target with an empty prefix: pass-through (passthrough.ts). Several: aggregation (aggregate.ts).
 * GUARANTEES: `createRouter` throws a TypeError only for a target set that cannot be routed unambiguously
 * (names.ts `checkTargets`); the router's entry points never reject.
 */
import { AggregateRouter } from "./aggregate.js";
import { checkTargets } from "./names.js";
import { PassThroughRouter } from "./passthrough.js";
import type { Router, RouterOptions } from "./types.js";

export type { RouteTarget, Router, RouterOptions } from "./types.js";
export { encodeCursor, decodeCursor } from "./cursor.js";
export { prefixName, prefixUri, targetOfName, targetOfUri } from "./names.js";

export function createRouter(options: RouterOptions): Router {
  if (typeof options?.toClient !== "function") throw new TypeError("createRouter needs `toClient`");
  if (typeof options.serverInfo?.name !== "string" || typeof options.serverInfo.version !== "string") throw new TypeError("createRouter needs `serverInfo` { name, version }");
  const problem = checkTargets(options.targets);
  if (problem !== undefined) throw new TypeError(`createRouter: ${problem}`);
  for (const t of options.targets) if (typeof t.send !== "function") throw new TypeError(`createRouter: target \`${t.name}\` needs \`send\``);
  const only = options.targets.length === 1 ? options.targets[0]! : undefined;
  if (only !== undefined && only.prefix === "") return new PassThroughRouter(options, only);
  return new AggregateRouter(options);
}
