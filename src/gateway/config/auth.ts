/**
 * The `auth` section: OAuth 2.1 resource server settings, the API keys file, the mTLS and anonymous
 * principals, and the rate limit on requests without valid credentials.
 * GUARANTEES: OAuth keys and tokens are only trusted from https URLs (http to loopback only, for tests
 * and local issuers); only asymmetric JWS algorithms are accepted (never `none` or HMAC: a JWKS holds
 * public keys); a principal here has the shape `decide` takes (validated as a request's principal).
 */
import { isScalar } from "yaml";
import { apiKeysFileMissing, invalidConfigValue, missingConfigKey } from "../../diagnostics/catalog.js";
import { validateRequest } from "../../eval/request.js";
import type { Principal } from "../../contract/index.js";
import { DEFAULTS } from "./defaults.js";
import type { ConfigReader, Field } from "./reader.js";
import { opt } from "./sections.js";
import type { AuthConfig, OAuthConfig } from "./types.js";
import { checkFile, checkUrl, exists, resolvePath, shown } from "./values.js";

/** Asymmetric JWS algorithms (RFC 7518, RFC 8037). */
export const JWS_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"] as const;

export function readAuth(r: ConfigReader, dir: string, f: Field | undefined): AuthConfig | undefined {
  const rateDefault = { ...DEFAULTS.rateLimit };
  if (f === undefined || f.value === undefined) return { rateLimit: rateDefault };
  const map = r.map(f.value, f.where, f.key);
  if (!map) return undefined;
  const fields = r.fields(map, ["oauth", "apiKeys", "mtls", "anonymous", "rateLimit"], "auth", "`auth`");
  let ok = true;
  const oauthField = fields.get("oauth");
  const oauth = oauthField?.value === undefined ? null : readOAuth(r, oauthField);
  const keysField = fields.get("apiKeys");
  const apiKeys = keysField?.value === undefined ? null : readApiKeys(r, dir, keysField);
  const mtlsField = fields.get("mtls");
  const mtls = mtlsField?.value === undefined ? null : readPrincipalHolder(r, mtlsField, false);
  const anonField = fields.get("anonymous");
  const anonymous = anonField?.value === undefined ? null : readPrincipalHolder(r, anonField, true);
  const rlField = fields.get("rateLimit");
  let rateLimit: AuthConfig["rateLimit"] | undefined = rateDefault;
  if (rlField?.value !== undefined) {
    const rl = r.map(rlField.value, rlField.where, rlField.key);
    if (!rl) rateLimit = undefined;
    else {
      const rf = r.fields(rl, ["perMinute", "burst"], rlField.where, "`auth.rateLimit`");
      const perMinute = opt(rf.get("perMinute"), (x) => r.integer(x, 1), rateDefault.perMinute);
      const burst = opt(rf.get("burst"), (x) => r.integer(x, 1), rateDefault.burst);
      rateLimit = perMinute === undefined || burst === undefined ? undefined : { perMinute, burst };
    }
  }
  if (oauth === undefined || apiKeys === undefined || mtls === undefined || anonymous === undefined || rateLimit === undefined) ok = false;
  if (!ok) return undefined;
  return {
    ...(oauth && { oauth }),
    ...(apiKeys && { apiKeys }),
    ...(mtls && { mtls }),
    ...(anonymous && { anonymous }),
    rateLimit: rateLimit as AuthConfig["rateLimit"],
  };
}

function readApiKeys(r: ConfigReader, dir: string, f: Field): { file: string } | undefined {
  const map = r.map(f.value, f.where, f.key);
  if (!map) return undefined;
  const fields = r.fields(map, ["file"], "auth.apiKeys", "`auth.apiKeys`");
  const fileField = fields.get("file");
  if (fileField?.value === undefined) {
    r.diagnostics.push(missingConfigKey(r.span(f.key), "file", "`auth.apiKeys`", "`file:` is the keys file `mcppolicy keys create --file FILE` writes"));
    return undefined;
  }
  const v = r.string(fileField);
  if (v === undefined) return undefined;
  const file = resolvePath(dir, v);
  if (!exists(file)) r.diagnostics.push(apiKeysFileMissing(r.span(fileField.value), shown(file)));
  else if (!checkFile(r.diagnostics, r.span(fileField.value), "the api keys file", file, { maxBytes: 16 * 1024 * 1024 })) return undefined;
  return { file };
}

/** `mtls: { principal: {...} }` / `anonymous: { principal: {...} }`. The anonymous one needs an id. */
function readPrincipalHolder(r: ConfigReader, f: Field, needsId: boolean): { principal: Principal } | undefined {
  const map = r.map(f.value, f.where, f.key);
  if (!map) return undefined;
  const fields = r.fields(map, ["principal"], f.where, `\`${f.where}\``);
  const pf = fields.get("principal");
  if (pf?.value === undefined) {
    if (!needsId) return { principal: {} };
    r.diagnostics.push(missingConfigKey(r.span(f.key), "principal", `\`${f.where}\``, "name who anonymous requests act as: `principal: { id: anonymous, roles: [viewer] }`"));
    return undefined;
  }
  const principal = readPrincipal(r, pf);
  if (!principal) return undefined;
  if (needsId && principal.id === undefined) {
    r.diagnostics.push(missingConfigKey(r.span(pf.key), "id", `\`${pf.where}\``, "give it an id, e.g. `id: anonymous`: budgets `by principal` count per id"));
    return undefined;
  }
  return { principal };
}

export function readPrincipal(r: ConfigReader, f: Field): Principal | undefined {
  const map = r.map(f.value, f.where, f.key);
  if (!map) return undefined;
  const fields = r.fields(map, ["id", "roles", "scopes", "claims"], f.where, "a principal");
  const out: Principal = {};
  let ok = true;
  const id = fields.get("id");
  if (id?.value !== undefined) {
    const v = r.string(id);
    if (v === undefined) ok = false;
    else out.id = v;
  }
  for (const k of ["roles", "scopes"] as const) {
    const x = fields.get(k);
    if (x?.value === undefined) continue;
    const v = r.strings(x);
    if (v === undefined) ok = false;
    else out[k] = v;
  }
  const claims = fields.get("claims");
  if (claims?.value !== undefined) {
    const v = r.json(claims.value, claims.where);
    if (v === undefined) ok = false;
    else if (typeof v !== "object" || v === null || Array.isArray(v)) {
      r.diagnostics.push(invalidConfigValue(r.span(claims.value), claims.where, r.written(claims.value), "is not a mapping of claims"));
      ok = false;
    } else out.claims = v as Record<string, unknown>;
  }
  if (!ok) return undefined;
  const shape = validateRequest({ principal: out, method: "tools/list" });
  if ("error" in shape) {
    r.diagnostics.push(invalidConfigValue(r.span(map), f.where, "principal", `is not a principal: ${shape.error}`));
    return undefined;
  }
  return out;
}

function readOAuth(r: ConfigReader, f: Field): OAuthConfig | undefined {
  const map = r.map(f.value, f.where, f.key);
  if (!map) return undefined;
  const fields = r.fields(
    map,
    ["issuer", "jwksUri", "audience", "authorizationServers", "algorithms", "clockToleranceSec", "requiredScopes", "scopesSupported", "jwksCacheMaxAgeMs", "jwksCooldownMs", "jwksTimeoutMs", "principal"],
    "auth.oauth",
    "`auth.oauth`",
  );
  let ok = true;
  const url = (k: "issuer" | "jwksUri", hint: string): string | undefined => {
    const x = fields.get(k);
    if (x?.value === undefined) {
      r.diagnostics.push(missingConfigKey(r.span(f.key), k, "`auth.oauth`", hint));
      return undefined;
    }
    const v = r.string(x);
    return v === undefined ? undefined : checkUrl(r.diagnostics, r.span(x.value), x.where, v, "secure");
  };
  const issuer = url("issuer", "`issuer:` is the `iss` every token must carry, e.g. `https://auth.example.com/`");
  const jwksUri = url("jwksUri", "`jwksUri:` is where the issuer publishes its keys, e.g. `https://auth.example.com/.well-known/jwks.json`");
  const audField = fields.get("audience");
  const audience = audField?.value === undefined ? null : r.string(audField);
  const asField = fields.get("authorizationServers");
  let authorizationServers: string[] | null | undefined = null;
  if (asField?.value !== undefined) {
    const list = r.stringList(asField);
    authorizationServers = list?.map((i) => i.value);
    list?.forEach((i, n) => {
      if (checkUrl(r.diagnostics, r.span(i.node), `${asField.where}[${n}]`, i.value, "secure") === undefined) authorizationServers = undefined;
    });
  }
  const algField = fields.get("algorithms");
  let algorithms: string[] | undefined = [...DEFAULTS.oauth.algorithms];
  if (algField?.value !== undefined) {
    const list = r.stringList(algField);
    algorithms = list?.map((i) => i.value);
    list?.forEach((i) => {
      if (!(JWS_ALGORITHMS as readonly string[]).includes(i.value)) {
        r.diagnostics.push(invalidConfigValue(r.span(i.node), algField.where, r.written(i.node), "is not an asymmetric JWS algorithm (a JWKS holds public keys)", JWS_ALGORITHMS, false));
        algorithms = undefined;
      }
    });
    if (algorithms && algorithms.length === 0) {
      r.diagnostics.push(invalidConfigValue(r.span(algField.value), algField.where, "[]", "accepts no token at all", JWS_ALGORITHMS));
      algorithms = undefined;
    }
  }
  const d = DEFAULTS.oauth;
  const clockToleranceSec = opt(fields.get("clockToleranceSec"), (x) => r.integer(x, 0, 3600), d.clockToleranceSec);
  const requiredScopes = opt(fields.get("requiredScopes"), (x) => r.strings(x), [...d.requiredScopes]);
  const ssField = fields.get("scopesSupported");
  const scopesSupported = ssField?.value === undefined ? null : r.strings(ssField);
  const jwksCacheMaxAgeMs = opt(fields.get("jwksCacheMaxAgeMs"), (x) => r.integer(x, 1), d.jwksCacheMaxAgeMs);
  const jwksCooldownMs = opt(fields.get("jwksCooldownMs"), (x) => r.integer(x, 0), d.jwksCooldownMs);
  const jwksTimeoutMs = opt(fields.get("jwksTimeoutMs"), (x) => r.integer(x, 1), d.jwksTimeoutMs);
  const principal = readClaimMapping(r, fields.get("principal"));
  if (
    issuer === undefined ||
    jwksUri === undefined ||
    audience === undefined ||
    authorizationServers === undefined ||
    algorithms === undefined ||
    clockToleranceSec === undefined ||
    requiredScopes === undefined ||
    scopesSupported === undefined ||
    jwksCacheMaxAgeMs === undefined ||
    jwksCooldownMs === undefined ||
    jwksTimeoutMs === undefined ||
    principal === undefined
  )
    ok = false;
  if (!ok) return undefined;
  return {
    issuer: issuer as string,
    jwksUri: jwksUri as string,
    ...(audience !== null && { audience: audience as string }),
    authorizationServers: authorizationServers === null ? [issuer as string] : (authorizationServers as string[]),
    algorithms: algorithms as string[],
    clockToleranceSec: clockToleranceSec as number,
    requiredScopes: requiredScopes as string[],
    scopesSupported: scopesSupported === null ? [...(requiredScopes as string[])] : (scopesSupported as string[]),
    jwksCacheMaxAgeMs: jwksCacheMaxAgeMs as number,
    jwksCooldownMs: jwksCooldownMs as number,
    jwksTimeoutMs: jwksTimeoutMs as number,
    principal: principal as OAuthConfig["principal"],
  };
}

/** `auth.oauth.principal`: which claims make the principal. */
function readClaimMapping(r: ConfigReader, f: Field | undefined): OAuthConfig["principal"] | undefined {
  if (f === undefined || f.value === undefined) return { id: DEFAULTS.oauth.principal.id, scopeRoles: {} };
  const map = r.map(f.value, f.where, f.key);
  if (!map) return undefined;
  const fields = r.fields(map, ["id", "roles", "scopeRoles"], f.where, "`auth.oauth.principal`");
  const id = opt(fields.get("id"), (x) => r.string(x), DEFAULTS.oauth.principal.id);
  const rolesField = fields.get("roles");
  const roles = rolesField?.value === undefined ? null : r.string(rolesField);
  const srField = fields.get("scopeRoles");
  let scopeRoles: Record<string, string[]> | undefined = {};
  if (srField?.value !== undefined) {
    const m = r.map(srField.value, srField.where, srField.key);
    if (!m) scopeRoles = undefined;
    else {
      for (const pair of m.items) {
        const k = r.resolve(pair.key);
        if (!isScalar(k) || typeof k.value !== "string") {
          r.diagnostics.push(invalidConfigValue(r.span(k), `${srField.where} key`, r.written(k), "is not a scope"));
          scopeRoles = undefined;
          continue;
        }
        const list = r.strings({ key: k, value: r.resolve(pair.value), where: `${srField.where}.${k.value}` });
        if (list === undefined) scopeRoles = undefined;
        else if (scopeRoles) Object.defineProperty(scopeRoles, k.value, { value: list, enumerable: true, writable: true, configurable: true });
      }
    }
  }
  if (id === undefined || roles === undefined || scopeRoles === undefined) return undefined;
  return { id, ...(roles !== null && { roles }), scopeRoles };
}
