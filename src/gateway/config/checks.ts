/**
 * The config's cross-field checks: what each section cannot see on its own. Run only on a config whose
 * sections all read without errors.
 * GUARANTEES (each a diagnostic, in this order):
 * - `auth.mtls` needs `listen.tls.clientCa` (a client certificate is only verified against it);
 * - a non-loopback listen address needs some authentication (E1016); `auth.anonymous` alone there is
 *   allowed, explicitly, with a warning (W1002);
 * - `auth.oauth` on a wildcard address (0.0.0.0, ::) needs `listen.publicUrl` or `auth.oauth.audience`:
 *   the default audience, built from the listen address, would be no URL a client can use;
 * - `limits.headersTimeoutMs` is at most `limits.requestTimeoutMs` (node:http refuses otherwise).
 */
import type { Node } from "yaml";
import { anonymousOnNetwork, configConflict, configNeeds, unauthenticatedListen } from "../../diagnostics/catalog.js";
import type { Span } from "../../source/source.js";
import type { ConfigReader } from "./reader.js";
import type { GatewayConfig } from "./types.js";
import { isLoopback } from "./values.js";

export function crossChecks(r: ConfigReader, c: GatewayConfig): void {
  const at = (path: readonly string[]): Span => {
    for (let n = path.length; n > 0; n--) {
      const node = r.doc.getIn(path.slice(0, n), true) as Node | undefined;
      if (node && typeof node === "object" && "range" in node) return r.span(node);
    }
    return r.span(r.doc.contents);
  };
  const keyAt = (path: readonly string[]): Span => {
    const parent = path.length > 1 ? r.doc.getIn(path.slice(0, -1), true) : r.doc.contents;
    const items = (parent as { items?: { key?: Node }[] } | undefined)?.items;
    const key = items?.find((p) => r.written(p.key as Node) === path.at(-1))?.key;
    return key ? r.span(key) : at(path);
  };
  const { auth, listen } = c;
  if (auth.mtls && !listen.tls?.clientCa) {
    r.diagnostics.push(
      configNeeds(keyAt(["auth", "mtls"]), "`auth.mtls`", "`listen.tls.clientCa`", "client certificates are verified against the CA bundle `listen.tls.clientCa` names; without it no certificate is ever trusted"),
    );
  }
  if (!isLoopback(listen.host)) {
    const authenticates = auth.oauth || auth.apiKeys || auth.mtls;
    if (!authenticates && !auth.anonymous) r.diagnostics.push(unauthenticatedListen(at(["listen", "host"]), listen.host));
    else if (!authenticates && auth.anonymous) r.diagnostics.push(anonymousOnNetwork(keyAt(["auth", "anonymous"]), listen.host));
  }
  if (auth.oauth && !listen.publicUrl && !auth.oauth.audience && (listen.host === "0.0.0.0" || listen.host === "::")) {
    r.diagnostics.push(
      configNeeds(
        keyAt(["auth", "oauth"]),
        "`auth.oauth` on a wildcard listen address",
        "`listen.publicUrl` or `auth.oauth.audience`",
        "tokens must be bound to this resource's URL (RFC 8707): set `listen.publicUrl` to the URL clients use, e.g. `https://mcp.example.com/mcp`",
      ),
    );
  }
  if (c.limits.headersTimeoutMs > c.limits.requestTimeoutMs) {
    r.diagnostics.push(
      configConflict(
        keyAt(["limits", "headersTimeoutMs"]),
        `\`limits.headersTimeoutMs\` (${c.limits.headersTimeoutMs}) is longer than \`limits.requestTimeoutMs\` (${c.limits.requestTimeoutMs})`,
        "the headers are part of the request: make `headersTimeoutMs` at most `requestTimeoutMs`",
      ),
    );
  }
}
