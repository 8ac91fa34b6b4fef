/**
 * The answers of a failed authentication: 401 with `WWW-Authenticate: Bearer resource_metadata="..."` (and
 * `error="invalid_token"` + a description when a credential was given and failed), 403 with
 * `error="insufficient_scope", scope="..."` so a client can step up (RFC 6750 §3, RFC 9728 §5.1), 429 with
 * Retry-After. Also where the RFC 9728 metadata lives for a resource URL.
 * GUARANTEES: header parameter values are fixed texts or configuration (scopes, URLs), never request data, and
 * are quoted with `"` and `\` escaped; descriptions stay within RFC 6750's error_description characters.
 */
export const WELL_KNOWN = "/.well-known/oauth-protected-resource";

export type Failure = { ok: false; status: 401 | 403 | 429; headers: Record<string, string>; body: { error: string; error_description: string } };

/** RFC 9728 §3.1: the well-known path inserted before the resource's path; the bare one second (clients try both). */
export function metadataLocation(resource: string): { url: string; paths: string[] } {
  const u = new URL(resource);
  const suffix = u.pathname === "/" ? "" : u.pathname.replace(/\/+$/, "");
  const paths = suffix === "" ? [WELL_KNOWN] : [`${WELL_KNOWN}${suffix}`, WELL_KNOWN];
  return { url: `${u.origin}${paths[0]}`, paths };
}

function quote(v: string): string {
  return `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** Keep a description to RFC 6750's allowed characters (%x20-21 / %x23-5B / %x5D-7E). */
function clean(description: string): string {
  return description.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, "?");
}

export class Challenges {
  /** `resource_metadata="..."` when OAuth is configured, else `realm="mcppolicy"`. */
  private readonly base: string;

  constructor(metadataUrl: string | undefined) {
    this.base = metadataUrl !== undefined ? `resource_metadata=${quote(metadataUrl)}` : `realm="mcppolicy"`;
  }

  /** 401. `error` absent: no credentials were given. */
  unauthorized(error?: { code: "invalid_token" | "invalid_request"; description: string }): Failure {
    if (error === undefined) {
      return { ok: false, status: 401, headers: { "WWW-Authenticate": `Bearer ${this.base}` }, body: { error: "unauthorized", error_description: "authentication is required" } };
    }
    const description = clean(error.description);
    return {
      ok: false,
      status: 401,
      headers: { "WWW-Authenticate": `Bearer ${this.base}, error=${quote(error.code)}, error_description=${quote(description)}` },
      body: { error: error.code, error_description: description },
    };
  }

  /** 403: the token is valid but lacks scopes; `required` is every scope the resource needs. */
  insufficientScope(required: readonly string[]): Failure {
    const scope = required.join(" ");
    return {
      ok: false,
      status: 403,
      headers: { "WWW-Authenticate": `Bearer error="insufficient_scope", scope=${quote(scope)}, ${this.base}` },
      body: { error: "insufficient_scope", error_description: `the token lacks a required scope (needs: ${clean(scope)})` },
    };
  }

  tooMany(retryAfterSec: number): Failure {
    return {
      ok: false,
      status: 429,
      headers: { "Retry-After": String(retryAfterSec) },
      body: { error: "too_many_requests", error_description: "too many failed authentication attempts from this address; retry later" },
    };
  }
}
