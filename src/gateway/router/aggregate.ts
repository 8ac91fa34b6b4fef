/**
 * The router for SEVERAL upstreams: one client session in front of one enforcer per upstream, the naming
 * scheme of names.ts (docs/gateway-routing.md).
 * GUARANTEES:
 *  - a request that names something (tools/call, prompts/get: the prefix; resources/read|subscribe|
 *    unsubscribe: `<name>+`; completion/complete: its ref) goes to the ONE target the name says, with the
 *    upstream's own name; a name no target owns is answered -32602 and sent nowhere;
 *  - initialize, the four lists and logging/setLevel go to every target that may answer them and are merged
 *    (merge.ts); a page request goes only to the targets its composite cursor names (cursor.ts); a cursor
 *    that is not one of ours is answered -32602;
 *  - client ids pass unchanged; an id already in flight is refused (-32600); ping is answered here;
 *    notifications/cancelled goes to the target(s) holding that id, and a cancelled request is never answered;
 *  - a server-to-client request gets a router-made id (`gw.<n>`, unique in the session) and its progress
 *    token is replaced by that id; the client's response and progress go back to that target only, under
 *    its own id and token; the target's cancellation of it reaches the client under the router's id;
 *  - never rejects into its callers: a fault answers the request it belongs to (INTERNAL_ERROR) and is
 *    reported through `onProblem`; no I/O, no timers: every wait ends when a target answers (the enforcer
 *    answers every pending request when its upstream goes away).
 */
import { errorResponse, MCP_ERROR_CODES, type JsonRpcErrorResponse, type JsonRpcId, type JsonRpcMessage, type JsonRpcNotification, type JsonRpcRequest, type JsonRpcResult } from "../../mcp/index.js";
import { decodeCursor, encodeCursor } from "./cursor.js";
import { mergeEmpty, mergeInitialize, mergeList, type Answer, type Answered } from "./merge.js";
import { exposeResult, LIST_SHAPES, prefixUri, targetOfName, targetOfUri } from "./names.js";
import type { RouteTarget, Router, RouterOptions } from "./types.js";
import { faultOf, idKey, listChangedNotices, sendSafely, shown } from "./util.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
type SendOptions = { relatedRequestId?: JsonRpcId };

/** One upstream as the router keeps it. */
interface Upstream {
  readonly target: RouteTarget;
  readonly name: string;
  readonly prefix: string;
  /** What it answered to initialize; undefined: not known (not answered, or an error): it is asked everything. */
  capabilities: Obj | undefined;
  /** Its server-to-client requests in flight: its id (key) -> the router's id. */
  readonly asked: Map<string, string>;
}

/** A client request sent to one target. */
interface Routed {
  readonly fan: false;
  readonly to: Upstream;
  readonly method: string;
}

/** A client request sent to several targets, waiting for all. */
interface FanOut {
  readonly fan: true;
  readonly id: JsonRpcId;
  readonly to: readonly Upstream[];
  readonly answers: (Answer | undefined)[];
  waiting: number;
  readonly finish: (answers: readonly Answered[]) => Answer;
}

type Flight = Routed | FanOut;

/** A server-to-client request in flight, by the router's id. */
interface Asked {
  readonly from: Upstream;
  readonly id: JsonRpcId;
  /** Its own progress token, when it gave one (the client sees the router's id instead). */
  readonly token: JsonRpcId | undefined;
}

/** Server-to-client requests the client has not answered, kept at most (per session). */
export const MAX_ASKED = 1024;

const invalidParams = (id: JsonRpcId, message: string) => errorResponse(id, MCP_ERROR_CODES.INVALID_PARAMS, message);

export class AggregateRouter implements Router {
  readonly #o: RouterOptions;
  readonly #all: readonly Upstream[];
  readonly #byName: ReadonlyMap<string, Upstream>;
  readonly #flights = new Map<string, Flight>();
  readonly #asked = new Map<string, Asked>();
  #nextId = 0;
  /** The capabilities the client was told, once an initialize result went out. */
  #announced: Obj | undefined;

  constructor(o: RouterOptions) {
    this.#o = o;
    this.#all = o.targets.map((target) => ({ target, name: target.name, prefix: target.prefix, capabilities: undefined, asked: new Map() }));
    this.#byName = new Map(this.#all.map((u) => [u.name, u]));
  }

  // ───────────────────────── from the client ─────────────────────────

  async fromClient(message: JsonRpcMessage, extra?: unknown): Promise<void> {
    const m = message as Partial<JsonRpcRequest & JsonRpcResult & JsonRpcErrorResponse>;
    try {
      if (!isObj(m)) return this.#problem("dropped a message from the client that is not an object");
      if (typeof m.method === "string") {
        if (m.id !== undefined) return await this.#request(m as JsonRpcRequest, extra);
        return await this.#clientNotification(m as JsonRpcNotification, extra);
      }
      return await this.#clientResponse(m as JsonRpcResult | JsonRpcErrorResponse, extra);
    } catch (err) {
      this.#problem(`internal error on a message from the client: ${faultOf(err)}`);
      if (typeof m?.method === "string" && (typeof m.id === "string" || typeof m.id === "number")) {
        this.#flights.delete(idKey(m.id));
        await this.#toClient(errorResponse(m.id, MCP_ERROR_CODES.INTERNAL_ERROR, `internal error in the gateway: ${faultOf(err)}`));
      }
    }
  }

  async #request(msg: JsonRpcRequest, extra: unknown): Promise<void> {
    const id = msg.id;
    const key = idKey(id);
    if (this.#flights.has(key)) {
      return this.#toClient(errorResponse(id, MCP_ERROR_CODES.INVALID_REQUEST, `request id ${shown(id)} is already in use on this connection`));
    }
    const params = isObj(msg.params) ? msg.params : {};
    switch (msg.method) {
      case "tools/call":
      case "prompts/get": {
        // HOT PATH (every call): one scan of the prefixes, one params object.
        const hit = targetOfName(this.#all, params.name);
        const what = msg.method === "tools/call" ? "tool" : "prompt";
        if (hit === undefined) return this.#toClient(invalidParams(id, `no such ${what}: ${shown(params.name)}`));
        return this.#route(msg, key, hit.target, { ...params, name: hit.name }, extra);
      }
      case "resources/read":
      case "resources/subscribe":
      case "resources/unsubscribe": {
        const hit = targetOfUri(this.#byName, params.uri);
        if (hit === undefined) return this.#toClient(invalidParams(id, `no such resource: ${shown(params.uri)} (resource URIs are \`<upstream>+<uri>\`)`));
        return this.#route(msg, key, hit.target, { ...params, uri: hit.uri }, extra);
      }
      case "completion/complete":
        return this.#completion(msg, key, params, extra);
      case "ping":
        return this.#toClient({ jsonrpc: "2.0", id, result: {} });
      case "initialize":
        return this.#fanOut(msg, this.#all, () => params, extra, (answers) => {
          const merged = mergeInitialize(id, params.protocolVersion, answers, this.#o.serverInfo);
          this.#learn(answers, merged);
          return merged;
        });
      case "tools/list":
      case "prompts/list":
      case "resources/list":
      case "resources/templates/list":
        return this.#list(msg, params, extra);
      case "logging/setLevel":
        return this.#fanOut(msg, this.#eligible("logging"), () => params, extra, (answers) => mergeEmpty(id, answers), { jsonrpc: "2.0", id, result: {} });
      default:
        return this.#toClient(errorResponse(id, MCP_ERROR_CODES.METHOD_NOT_FOUND, `method \`${shown(msg.method)}\` is not available through this gateway's several upstreams`));
    }
  }

  async #route(msg: JsonRpcRequest, key: string, to: Upstream, params: Obj, extra: unknown): Promise<void> {
    const flight: Routed = { fan: false, to, method: msg.method };
    this.#flights.set(key, flight);
    try {
      await to.target.send({ jsonrpc: "2.0", id: msg.id, method: msg.method, params }, extra);
    } catch (err) {
      this.#problem(`upstream \`${to.name}\` could not take a request: ${faultOf(err)}`);
      if (this.#flights.get(key) === flight) {
        this.#flights.delete(key);
        await this.#toClient(errorResponse(msg.id, MCP_ERROR_CODES.INTERNAL_ERROR, `internal error in the gateway: ${faultOf(err)}`));
      }
    }
  }

  #completion(msg: JsonRpcRequest, key: string, params: Obj, extra: unknown): Promise<void> {
    const ref = params.ref;
    if (isObj(ref) && ref.type === "ref/prompt") {
      const hit = targetOfName(this.#all, ref.name);
      if (hit !== undefined) return this.#route(msg, key, hit.target, { ...params, ref: { ...ref, name: hit.name } }, extra);
      return this.#toClient(invalidParams(msg.id, `no such prompt: ${shown(ref.name)}`));
    }
    if (isObj(ref) && ref.type === "ref/resource") {
      const hit = targetOfUri(this.#byName, ref.uri);
      if (hit !== undefined) return this.#route(msg, key, hit.target, { ...params, ref: { ...ref, uri: hit.uri } }, extra);
      return this.#toClient(invalidParams(msg.id, `no such resource: ${shown(ref.uri)}`));
    }
    return this.#toClient(invalidParams(msg.id, "completion/complete needs a `ref` of type `ref/prompt` or `ref/resource`"));
  }

  /** The targets that may answer a method of `capability`: those that announced it, and those not known. */
  #eligible(capability: string): Upstream[] {
    return this.#all.filter((u) => u.capabilities === undefined || isObj(u.capabilities[capability]));
  }

  #list(msg: JsonRpcRequest, params: Obj, extra: unknown): Promise<void> {
    const shape = LIST_SHAPES[msg.method]!;
    const method = msg.method;
    // Several upstreams must not send progress under one token: a fanned-out list asks for none.
    const base = withoutProgressToken(params);
    const encode = (open: ReadonlyArray<readonly [string, string]>) => encodeCursor(method, open);
    const finish = (answers: readonly Answered[]) => mergeList(msg.id, method, answers, encode);
    const empty: Answer = { jsonrpc: "2.0", id: msg.id, result: { [shape.key]: [] } };
    if (params.cursor === undefined) {
      const { cursor: _none, ...first } = base;
      return this.#fanOut(msg, this.#eligible(shape.capability), () => first, extra, finish, empty);
    }
    const open = decodeCursor(params.cursor, method, (name) => this.#byName.has(name));
    if (open === undefined) return this.#toClient(invalidParams(msg.id, `invalid cursor for ${method}`));
    const cursors = new Map(open);
    const to = this.#all.filter((u) => cursors.has(u.name));
    return this.#fanOut(msg, to, (u) => ({ ...base, cursor: cursors.get(u.name)! }), extra, finish, empty);
  }

  /**
   * Sends one request to each of `to` (params per target) and answers the client once every one answered,
   * with `finish` over the answers in target order; with no target at all, with `none`.
   */
  async #fanOut(msg: JsonRpcRequest, to: readonly Upstream[], paramsFor: (u: Upstream) => Obj, extra: unknown, finish: FanOut["finish"], none?: Answer): Promise<void> {
    if (to.length === 0) return this.#toClient(none ?? errorResponse(msg.id, MCP_ERROR_CODES.UPSTREAM_UNAVAILABLE, "no upstream can answer this request"));
    const flight: FanOut = { fan: true, id: msg.id, to, answers: new Array(to.length).fill(undefined), waiting: to.length, finish };
    // INVARIANT: the flight is registered before the first send: a target may answer while it is sent.
    this.#flights.set(idKey(msg.id), flight);
    await Promise.all(
      to.map(async (u) => {
        try {
          await u.target.send({ jsonrpc: "2.0", id: msg.id, method: msg.method, params: paramsFor(u) }, extra);
        } catch (err) {
          this.#problem(`upstream \`${u.name}\` could not take a request: ${faultOf(err)}`);
          await this.#answered(flight, u, errorResponse(msg.id, MCP_ERROR_CODES.INTERNAL_ERROR, `internal error in the gateway: ${faultOf(err)}`));
        }
      }),
    );
  }

  /** One target's answer to a fanned-out request; the merged answer goes out with the last one. */
  async #answered(flight: FanOut, from: Upstream, answer: Answer, options?: SendOptions): Promise<void> {
    const i = flight.to.indexOf(from);
    if (i < 0 || flight.answers[i] !== undefined) return this.#problem(`dropped a second answer from \`${from.name}\` to request ${shown(flight.id)}`);
    flight.answers[i] = answer;
    if (--flight.waiting > 0) return;
    const key = idKey(flight.id);
    if (this.#flights.get(key) !== flight) return; // cancelled meanwhile: never answered
    this.#flights.delete(key);
    let merged: Answer;
    try {
      merged = flight.finish(flight.to.map((target, j) => ({ target, answer: flight.answers[j]! })));
    } catch (err) {
      this.#problem(`could not merge the answers to request ${shown(flight.id)}: ${faultOf(err)}`);
      merged = errorResponse(flight.id, MCP_ERROR_CODES.INTERNAL_ERROR, `internal error in the gateway: ${faultOf(err)}`);
    }
    await this.#toClient(merged, options);
  }

  /** After initialize: what each target can answer, and what the client was told. */
  #learn(answers: readonly Answered[], merged: Answer): void {
    for (const { target, answer } of answers) {
      const u = target as Upstream;
      u.capabilities = "result" in answer && isObj(answer.result.capabilities) ? answer.result.capabilities : undefined;
    }
    if ("result" in merged && isObj(merged.result.capabilities)) this.#announced = merged.result.capabilities;
  }

  async #clientNotification(msg: JsonRpcNotification, extra: unknown): Promise<void> {
    const params = isObj(msg.params) ? msg.params : {};
    if (msg.method === "notifications/cancelled") {
      const id = params.requestId;
      if (typeof id !== "string" && typeof id !== "number") return;
      const flight = this.#flights.get(idKey(id));
      if (flight === undefined) return this.#problem(`dropped a cancellation of request ${shown(id)}, not in flight`);
      this.#flights.delete(idKey(id));
      const to = flight.fan ? flight.to.filter((_, i) => flight.answers[i] === undefined) : [flight.to];
      await Promise.all(to.map((u) => this.#toTarget(u, msg, extra)));
      return;
    }
    if (msg.method === "notifications/progress") {
      const token = params.progressToken;
      const asked = typeof token === "string" ? this.#asked.get(token) : undefined;
      if (asked === undefined || asked.token === undefined) return this.#problem(`dropped progress for an unknown token ${shown(token)}`);
      return this.#toTarget(asked.from, { ...msg, params: { ...params, progressToken: asked.token } }, extra);
    }
    // initialized, roots/list_changed, and any other: every target (each enforcer decides what passes).
    await Promise.all(this.#all.map((u) => this.#toTarget(u, msg, extra)));
  }

  async #clientResponse(msg: JsonRpcResult | JsonRpcErrorResponse, extra: unknown): Promise<void> {
    const asked = typeof msg.id === "string" ? this.#asked.get(msg.id) : undefined;
    if (asked === undefined) return this.#problem(`dropped a response from the client to a request never sent (id ${shown(msg.id)})`);
    this.#asked.delete(msg.id as string);
    asked.from.asked.delete(idKey(asked.id));
    await this.#toTarget(asked.from, { ...msg, id: asked.id }, extra);
  }

  // ───────────────────────── from the upstreams ─────────────────────────

  async fromUpstream(name: string, message: JsonRpcMessage, options?: SendOptions): Promise<void> {
    const from = typeof name === "string" ? this.#byName.get(name) : undefined;
    if (from === undefined) return this.#problem(`dropped a message from unknown upstream \`${shown(name)}\``);
    const m = message as Partial<JsonRpcRequest & JsonRpcResult & JsonRpcErrorResponse>;
    try {
      if (!isObj(m)) return this.#problem(`dropped a message from \`${from.name}\` that is not an object`);
      if (typeof m.method === "string") {
        if (m.id !== undefined) return await this.#serverRequest(from, m as JsonRpcRequest, options);
        return await this.#serverNotification(from, m as JsonRpcNotification, options);
      }
      return await this.#serverResponse(from, m as JsonRpcResult | JsonRpcErrorResponse, options);
    } catch (err) {
      this.#problem(`internal error on a message from \`${from.name}\`: ${faultOf(err)}`);
      if (typeof m?.method !== "string" && (typeof m?.id === "string" || typeof m?.id === "number")) {
        const flight = this.#flights.get(idKey(m.id));
        if (flight !== undefined && !flight.fan && flight.to === from) {
          this.#flights.delete(idKey(m.id));
          await this.#toClient(errorResponse(m.id, MCP_ERROR_CODES.INTERNAL_ERROR, `internal error in the gateway: ${faultOf(err)}`));
        }
      }
    }
  }

  async #serverResponse(from: Upstream, msg: JsonRpcResult | JsonRpcErrorResponse, options: SendOptions | undefined): Promise<void> {
    const id = msg.id;
    if (id === null) return this.#toClient(msg, options); // an error about a message nobody can name: the client may read it
    const key = idKey(id);
    const flight = this.#flights.get(key);
    if (flight === undefined) return this.#problem(`dropped a response from \`${from.name}\` to a request not in flight (id ${shown(id)})`);
    if (flight.fan) return this.#answered(flight, from, msg, options);
    if (flight.to !== from) return this.#problem(`dropped a response from \`${from.name}\` to request ${shown(id)}, sent to \`${flight.to.name}\``);
    this.#flights.delete(key);
    if (!("result" in msg)) return this.#toClient(msg, options);
    const result = exposeResult(flight.method, msg.result, from.name);
    return this.#toClient(result === msg.result ? msg : { jsonrpc: "2.0", id, result }, options);
  }

  async #serverRequest(from: Upstream, msg: JsonRpcRequest, options: SendOptions | undefined): Promise<void> {
    const rid = `gw.${(this.#nextId++).toString(36)}`;
    let params = msg.params;
    let token: JsonRpcId | undefined;
    const meta = isObj(params) && isObj(params._meta) ? params._meta : undefined;
    if (meta !== undefined && (typeof meta.progressToken === "string" || typeof meta.progressToken === "number")) {
      token = meta.progressToken;
      params = { ...params, _meta: { ...meta, progressToken: rid } };
    }
    if (this.#asked.size >= MAX_ASKED) {
      // A client that never answers: forget the oldest (its late answer is then dropped, as a stray one).
      const [oldId, old] = this.#asked.entries().next().value as [string, Asked];
      this.#asked.delete(oldId);
      old.from.asked.delete(idKey(old.id));
      this.#problem(`forgot server request ${oldId}: more than ${MAX_ASKED} unanswered by the client`);
    }
    this.#asked.set(rid, { from, id: msg.id, token });
    from.asked.set(idKey(msg.id), rid);
    const out: JsonRpcRequest = { jsonrpc: "2.0", id: rid, method: msg.method };
    if (params !== undefined) out.params = params;
    await this.#toClient(out, options);
  }

  async #serverNotification(from: Upstream, msg: JsonRpcNotification, options: SendOptions | undefined): Promise<void> {
    const params = msg.params;
    switch (msg.method) {
      case "notifications/resources/updated":
        if (!isObj(params) || typeof params.uri !== "string") return this.#problem(`dropped a resources/updated without a uri from \`${from.name}\``);
        return this.#toClient({ ...msg, params: { ...params, uri: prefixUri(from.name, params.uri) } }, options);
      case "notifications/cancelled": {
        const id = isObj(params) ? params.requestId : undefined;
        const rid = typeof id === "string" || typeof id === "number" ? from.asked.get(idKey(id)) : undefined;
        if (rid === undefined) return this.#problem(`dropped a cancellation from \`${from.name}\` of a request not in flight`);
        from.asked.delete(idKey(id as JsonRpcId));
        this.#asked.delete(rid);
        return this.#toClient({ ...msg, params: { ...params, requestId: rid } }, options);
      }
      default:
        // progress (the client's own token), logging, list_changed: as they are.
        return this.#toClient(msg, options);
    }
  }

  // ───────────────────────── the gateway ─────────────────────────

  async notifyListChanged(): Promise<void> {
    if (this.#announced === undefined) return;
    for (const n of listChangedNotices(this.#announced)) await this.#toClient(n);
  }

  #toTarget(u: Upstream, message: JsonRpcMessage, extra: unknown): Promise<void> {
    return sendSafely(() => u.target.send(message, extra), (p) => this.#problem(`upstream \`${u.name}\` could not take a message: ${p}`));
  }

  #toClient(message: JsonRpcMessage, options?: SendOptions): Promise<void> {
    return sendSafely(() => this.#o.toClient(message, options), (p) => this.#problem(`could not send to the client: ${p}`));
  }

  #problem(text: string): void {
    try {
      this.#o.onProblem?.(text);
    } catch {
      // a host hook that throws changes nothing
    }
  }
}

function withoutProgressToken(params: Obj): Obj {
  const meta = params._meta;
  if (!isObj(meta) || !("progressToken" in meta)) return params;
  const { progressToken: _dropped, ...rest } = meta;
  return { ...params, _meta: rest };
}
