/**
 * OAuth 2.1 resource server: bearer JWTs verified with `jose` against the issuer's JWKS (fetched, cached for
 * `jwksCacheMaxAgeMs`, refetched on an unknown `kid` at most once per `jwksCooldownMs`, each fetch bounded by
 * `jwksTimeoutMs`); `iss` exact, `aud` holding this resource (RFC 8707), `exp` required, `nbf`, clock
 * tolerance, only the configured asymmetric algorithms. The principal: id from a claim (default `sub`),
 * scopes from `scope` (space separated) or `scp`, roles from a claim plus `scopeRoles`, claims = the payload.
 * GUARANTEES: `none` and symmetric (HS*) algorithms are refused at construction, so a public JWKS key can
 * never be used as an HMAC secret. A failure is one fixed description per cause (never a jose message, never
 * token text). Keys that cannot be fetched deny (fail closed); cached keys serve until their max age.
 */
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import type { Principal } from "../../contract/index.js";
import { nameFault } from "../../contract/names.js";
import type { OAuthConfig } from "../config/types.js";

export type JwtVerdict = { ok: true; principal: Principal; subject: string; scopes: readonly string[] } | { ok: false; description: string };

/** Algorithms a remote JWKS may never be used with. */
const REFUSED_ALGORITHMS = /^(none|HS\d+)$/i;
/** Longest token considered (longer is refused unread). */
export const MAX_TOKEN_CHARS = 16_384;

export const JWT_FAILURES = {
  malformed: "the token is not a well-formed JWT",
  expired: "the token has expired",
  notYetValid: "the token is not yet valid",
  issuer: "the token was not issued by the accepted issuer",
  audience: "the token is not meant for this resource",
  noExpiry: "the token has no expiry",
  claims: "the token's claims are not accepted",
  algorithm: "the token's signing algorithm is not accepted",
  signature: "the token's signature does not verify",
  noKey: "no key of the issuer matches the token",
  keysUnavailable: "the issuer's keys cannot be fetched",
  noSubject: "the token has no usable subject claim",
  tooLong: "the token is too long",
} as const;

class KeysUnavailable extends Error {}

export class JwtVerifier {
  private readonly jwks: JWTVerifyGetKey;
  private readonly getKey: JWTVerifyGetKey;
  readonly audience: string;

  constructor(
    private readonly config: OAuthConfig,
    resource: string,
    private readonly now: () => number,
  ) {
    const refused = config.algorithms.filter((a) => REFUSED_ALGORITHMS.test(a));
    if (refused.length > 0) throw new Error(`auth.oauth.algorithms: ${refused.join(", ")} cannot be used with an issuer's public keys (only asymmetric algorithms)`);
    if (config.algorithms.length === 0) throw new Error("auth.oauth.algorithms: at least one algorithm is needed");
    this.audience = config.audience ?? resource;
    this.jwks = createRemoteJWKSet(new URL(config.jwksUri), {
      cacheMaxAge: config.jwksCacheMaxAgeMs,
      cooldownDuration: config.jwksCooldownMs,
      timeoutDuration: config.jwksTimeoutMs,
    });
    // Failures to reach the keys are told apart from keys that do not match.
    this.getKey = async (header, token) => {
      try {
        return await this.jwks(header, token);
      } catch (e) {
        if (e instanceof errors.JWKSNoMatchingKey || e instanceof errors.JWKSMultipleMatchingKeys || e instanceof errors.JOSENotSupported) throw e;
        throw new KeysUnavailable();
      }
    };
  }

  async verify(token: string): Promise<JwtVerdict> {
    if (token.length > MAX_TOKEN_CHARS) return { ok: false, description: JWT_FAILURES.tooLong };
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.getKey, {
        issuer: this.config.issuer,
        audience: this.audience,
        algorithms: [...this.config.algorithms],
        clockTolerance: this.config.clockToleranceSec,
        requiredClaims: ["exp"],
        currentDate: new Date(this.now()),
      }));
    } catch (e) {
      return { ok: false, description: describeFailure(e) };
    }
    return this.principalOf(payload);
  }

  private principalOf(payload: JWTPayload): JwtVerdict {
    const id = claimAt(payload, this.config.principal.id);
    if (typeof id !== "string" || id === "") return { ok: false, description: JWT_FAILURES.noSubject };
    const scopes = scopesOf(payload);
    const roles = new Set<string>();
    if (this.config.principal.roles !== undefined) for (const r of namesOf(claimAt(payload, this.config.principal.roles))) roles.add(r);
    for (const s of scopes) for (const r of this.config.principal.scopeRoles[s] ?? []) roles.add(r);
    const principal: Principal = { id, roles: [...roles].filter((r) => nameFault(r) === undefined), scopes, claims: { ...payload } };
    return { ok: true, principal, subject: id, scopes };
  }
}

function describeFailure(e: unknown): string {
  if (e instanceof KeysUnavailable) return JWT_FAILURES.keysUnavailable;
  if (e instanceof errors.JWTExpired) return JWT_FAILURES.expired;
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.claim === "nbf") return JWT_FAILURES.notYetValid;
    if (e.claim === "iss") return JWT_FAILURES.issuer;
    if (e.claim === "aud") return JWT_FAILURES.audience;
    if (e.claim === "exp") return JWT_FAILURES.noExpiry;
    return JWT_FAILURES.claims;
  }
  if (e instanceof errors.JOSEAlgNotAllowed || e instanceof errors.JOSENotSupported) return JWT_FAILURES.algorithm;
  if (e instanceof errors.JWSSignatureVerificationFailed) return JWT_FAILURES.signature;
  if (e instanceof errors.JWKSNoMatchingKey || e instanceof errors.JWKSMultipleMatchingKeys) return JWT_FAILURES.noKey;
  return JWT_FAILURES.malformed;
}

/** A claim by dotted path (`realm_access.roles`); an own property at each step only. */
function claimAt(payload: JWTPayload, path: string): unknown {
  let v: unknown = payload;
  for (const part of path.split(".")) {
    if (typeof v !== "object" || v === null || Array.isArray(v) || !Object.prototype.hasOwnProperty.call(v, part)) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/** A list of strings, or a space-separated string, as names; anything else gives none. */
function namesOf(v: unknown): string[] {
  if (typeof v === "string") return v.split(" ").filter((s) => s !== "");
  if (Array.isArray(v)) return v.filter((s): s is string => typeof s === "string" && s !== "");
  return [];
}

function scopesOf(payload: JWTPayload): string[] {
  const s = payload.scope !== undefined ? payload.scope : payload.scp;
  return [...new Set(namesOf(s))];
}
