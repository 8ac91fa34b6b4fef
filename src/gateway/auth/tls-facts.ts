/**
 * What a TLS connection tells the authenticator: whether a client certificate was presented and verified
 * against the configured CA, its subject as an RFC 2253 string (`CN=alice,O=Example`, most specific first)
 * and its SHA-256 fingerprint as Node prints it (`AB:CD:...`). The gateway and the tests use this one
 * conversion, so the policy sees the same `client.certSubject` whoever builds the facts.
 * GUARANTEES: never throws; `authorized` is true only when Node verified the certificate chain
 * (`socket.authorized`) and a certificate was presented.
 */
import type { TLSSocket } from "node:tls";

export interface TlsFacts {
  authorized: boolean;
  subject?: string;
  fingerprint256?: string;
  authorizationError?: string;
}

/** The TLS facts of a connection (undefined for a plain TCP socket). */
export function tlsFactsOf(socket: unknown): TlsFacts | undefined {
  const s = socket as Partial<TLSSocket> | null | undefined;
  if (s === null || s === undefined || s.encrypted !== true || typeof s.getPeerCertificate !== "function") return undefined;
  let cert: ReturnType<TLSSocket["getPeerCertificate"]> | undefined;
  try {
    cert = s.getPeerCertificate();
  } catch {
    cert = undefined;
  }
  const present = cert !== undefined && cert !== null && typeof cert.fingerprint256 === "string" && cert.fingerprint256 !== "";
  const facts: TlsFacts = { authorized: present && s.authorized === true };
  if (present) {
    const subject = rfc2253(cert!.subject as unknown as Record<string, string | string[]> | undefined);
    if (subject !== "") facts.subject = subject;
    facts.fingerprint256 = cert!.fingerprint256;
  }
  const why = s.authorizationError;
  if (why !== undefined && why !== null) facts.authorizationError = String(why);
  return facts;
}

/** Node's subject object as an RFC 2253 distinguished name (the last RDN of the certificate first). */
export function rfc2253(subject: Record<string, string | string[]> | undefined): string {
  if (subject === undefined || subject === null || typeof subject !== "object") return "";
  const parts: string[] = [];
  for (const [type, value] of Object.entries(subject)) {
    for (const v of Array.isArray(value) ? value : [value]) parts.push(`${type}=${escapeValue(String(v))}`);
  }
  return parts.reverse().join(",");
}

function escapeValue(v: string): string {
  let out = v.replace(/[\\,+"<>;=]/g, (c) => `\\${c}`);
  if (out.startsWith("#") || out.startsWith(" ")) out = `\\${out}`;
  if (out.endsWith(" ")) out = `${out.slice(0, -1)}\\ `;
  return out;
}

/** The `CN` of an RFC 2253 subject made by rfc2253 (unescaped), if any. */
export function commonNameOf(subject: string | undefined): string | undefined {
  if (subject === undefined) return undefined;
  for (const part of subject.split(/(?<!\\),/)) {
    if (part.startsWith("CN=")) return part.slice(3).replace(/\\(.)/g, "$1");
  }
  return undefined;
}
