/**
 * The gateway's authenticator: who is calling, from the request's headers and its TLS connection.
 * Order: `Authorization: Bearer` (an API key when it has the key format `mcpp_<id>_<secret>`, else an OAuth JWT)
 * or `X-API-Key`; without credentials, the mTLS principal (a verified client certificate) if configured, else
 * the anonymous principal if configured, else 401. Requests that fail take a token from their address's bucket
 * (FailureLimiter); an empty bucket answers 429 with Retry-After instead of 401.
 * GUARANTEES: fail closed: a credential that is present and fails is a 401 even where anonymous access is
 * configured; two credentials are refused; authenticate never throws (an unexpected error is a 401). No
 * outcome, header or thrown message holds a presented secret: descriptions are fixed texts, `subject` is the
 * token's subject, the key's id or the certificate's CN. Client facts: `mtls` only for a verified
 * certificate, and its subject and fingerprint only then.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { ClientInfo, Principal } from "../../contract/index.js";
import type { AuthConfig } from "../config/types.js";
import { looksLikeApiKey } from "./api-key-format.js";
import { ApiKeyStore, type ApiKeyVerdict } from "./api-keys.js";
import { Challenges, metadataLocation, type Failure } from "./challenge.js";
import { JwtVerifier } from "./oauth.js";
import { FailureLimiter } from "./rate-limit.js";
import { commonNameOf, type TlsFacts } from "./tls-facts.js";

export { tlsFactsOf, rfc2253, type TlsFacts } from "./tls-facts.js";
export { requestFactsOf } from "./facts.js";
export { generateApiKey, hashApiKey, parseApiKey, KEY_ID_PATTERN } from "./api-key-format.js";
export { parseKeyFile, serializeKeyFile, writeFileAtomic, type KeyRecord } from "./key-file.js";

export interface RequestFacts {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** "127.0.0.1" (an IPv4-mapped IPv6 address is taken as its IPv4 address). */
  remoteAddress: string;
  tls?: TlsFacts;
}

export type AuthOutcome =
  | { ok: true; principal: Principal; client: ClientInfo & { certFingerprint?: string }; via: "oauth" | "api-key" | "mtls" | "anonymous"; subject: string }
  | { ok: false; status: 401 | 403 | 429; headers: Record<string, string>; body: { error: string; error_description: string } };

export interface Authenticator {
  authenticate(facts: RequestFacts): Promise<AuthOutcome>;
  /** RFC 9728 document, or undefined when OAuth is not configured. */
  protectedResourceMetadata(): Record<string, unknown> | undefined;
  /** The well-known paths that serve it: `/.well-known/oauth-protected-resource` + the resource path suffix, then the bare one. Empty without OAuth. */
  readonly metadataPaths: readonly string[];
  close(): void;
}

export interface AuthenticatorOptions {
  now?: () => number;
  fetch?: never;
  /** Told when the API key file becomes unreadable or invalid (every key is refused meanwhile). */
  warn?: (message: string) => void;
}

const KEY_FAILURES: Record<Exclude<ApiKeyVerdict, { ok: true }>["reason"], string> = {
  malformed: "the API key is malformed",
  unknown: "the API key is not valid",
  mismatch: "the API key is not valid",
  expired: "the API key has expired",
  unavailable: "API keys cannot be checked right now",
};

type Credential = { kind: "none" } | { kind: "bad"; description: string } | { kind: "bearer" | "x-api-key"; value: string };

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

function credentialOf(headers: IncomingHttpHeaders): Credential {
  const authorization = headers.authorization;
  const apiKey = headers["x-api-key"];
  if (authorization !== undefined && apiKey !== undefined) return { kind: "bad", description: "send one credential: Authorization or X-API-Key, not both" };
  if (apiKey !== undefined) {
    if (typeof apiKey !== "string" || apiKey.trim() === "") return { kind: "bad", description: "the X-API-Key header must hold one API key" };
    return { kind: "x-api-key", value: apiKey.trim() };
  }
  if (authorization === undefined) return { kind: "none" };
  const m = BEARER.exec(authorization);
  if (!m) return { kind: "bad", description: "the Authorization header must be `Bearer <token>`" };
  return { kind: "bearer", value: m[1] as string };
}

function ipOf(remoteAddress: string): string {
  return remoteAddress.startsWith("::ffff:") && remoteAddress.includes(".") ? remoteAddress.slice(7) : remoteAddress;
}

function clientOf(facts: RequestFacts): ClientInfo & { certFingerprint?: string } {
  const verified = facts.tls?.authorized === true;
  const client: ClientInfo & { certFingerprint?: string } = { ip: ipOf(facts.remoteAddress), tls: facts.tls !== undefined, mtls: verified };
  if (verified && facts.tls?.subject !== undefined) client.certSubject = facts.tls.subject;
  if (verified && facts.tls?.fingerprint256 !== undefined) client.certFingerprint = facts.tls.fingerprint256;
  return client;
}

/** A copy (the stored principal is never handed out to be mutated). */
function copyPrincipal(p: Principal, id: string | undefined): Principal {
  const out: Principal = {};
  if (id !== undefined) out.id = id;
  if (p.roles !== undefined) out.roles = [...p.roles];
  if (p.scopes !== undefined) out.scopes = [...p.scopes];
  if (p.claims !== undefined) out.claims = structuredClone(p.claims);
  return out;
}

export function createAuthenticator(auth: AuthConfig, resource: string, options: AuthenticatorOptions = {}): Authenticator {
  const now = options.now ?? Date.now;
  const location = metadataLocation(resource);
  const oauth = auth.oauth;
  const challenges = new Challenges(oauth !== undefined ? location.url : undefined);
  const jwt = oauth !== undefined ? new JwtVerifier(oauth, resource, now) : undefined;
  const keys = auth.apiKeys !== undefined ? new ApiKeyStore(auth.apiKeys.file, now, options.warn) : undefined;
  const limiter = new FailureLimiter(auth.rateLimit.perMinute, auth.rateLimit.burst, now);

  /** A 401 counts against the address; an empty bucket turns it into 429. */
  function fail(ip: string, failure: Failure): Failure {
    if (failure.status !== 401) return failure;
    const wait = limiter.take(ip);
    return wait === undefined ? failure : challenges.tooMany(wait);
  }

  async function judge(facts: RequestFacts): Promise<AuthOutcome> {
    const client = clientOf(facts);
    const ip = client.ip as string;
    const cred = credentialOf(facts.headers);
    if (cred.kind === "none") {
      if (auth.mtls !== undefined && client.mtls) {
        const cn = commonNameOf(client.certSubject);
        const id = auth.mtls.principal.id ?? cn ?? client.certFingerprint;
        return { ok: true, principal: copyPrincipal(auth.mtls.principal, id), client, via: "mtls", subject: cn ?? client.certFingerprint ?? "certificate" };
      }
      if (auth.anonymous !== undefined) {
        const p = auth.anonymous.principal;
        return { ok: true, principal: copyPrincipal(p, p.id), client, via: "anonymous", subject: p.id ?? "anonymous" };
      }
      return fail(ip, challenges.unauthorized());
    }
    if (cred.kind === "bad") return fail(ip, challenges.unauthorized({ code: "invalid_request", description: cred.description }));
    if (looksLikeApiKey(cred.value)) {
      if (keys === undefined) return fail(ip, challenges.unauthorized({ code: "invalid_token", description: "API keys are not accepted here" }));
      const verdict = keys.verify(cred.value);
      if (!verdict.ok) return fail(ip, challenges.unauthorized({ code: "invalid_token", description: KEY_FAILURES[verdict.reason] }));
      const r = verdict.record;
      return { ok: true, principal: copyPrincipal(r.principal, r.principal.id ?? r.id), client, via: "api-key", subject: r.id };
    }
    if (cred.kind === "x-api-key") return fail(ip, challenges.unauthorized({ code: "invalid_token", description: "the X-API-Key header must hold an API key (mcpp_...)" }));
    if (jwt === undefined || oauth === undefined) return fail(ip, challenges.unauthorized({ code: "invalid_token", description: "bearer tokens other than API keys are not accepted here" }));
    const verdict = await jwt.verify(cred.value);
    if (!verdict.ok) return fail(ip, challenges.unauthorized({ code: "invalid_token", description: verdict.description }));
    const held = new Set(verdict.scopes);
    if (oauth.requiredScopes.some((s) => !held.has(s))) return challenges.insufficientScope(oauth.requiredScopes);
    return { ok: true, principal: verdict.principal, client, via: "oauth", subject: verdict.subject };
  }

  return {
    async authenticate(facts) {
      try {
        return await judge(facts);
      } catch {
        // INVARIANT: no thrown message leaves; whatever went wrong is a plain 401.
        return fail(ipOf(String(facts?.remoteAddress ?? "")), challenges.unauthorized({ code: "invalid_token", description: "the credentials could not be checked" }));
      }
    },
    protectedResourceMetadata() {
      if (oauth === undefined) return undefined;
      const doc: Record<string, unknown> = {
        resource,
        authorization_servers: [...(oauth.authorizationServers ?? [oauth.issuer])],
        bearer_methods_supported: ["header"],
      };
      const scopes = oauth.scopesSupported ?? oauth.requiredScopes;
      if (scopes.length > 0) doc.scopes_supported = [...scopes];
      return doc;
    },
    metadataPaths: oauth !== undefined ? location.paths : [],
    close() {},
  };
}
