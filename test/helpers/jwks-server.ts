/**
 * A local JWKS endpoint for OAuth tests: an HTTP server on loopback serving `{keys: [...]}` at /jwks.json, with
 * signing keys made by jose (RS256, ES256). It can rotate keys, go down (stop listening: connection refused) and
 * come back on the same port, hang (accept requests and never answer), and counts fetches. `sign` makes tokens with any of its keys (current or retired),
 * so tests can present a token whose key the endpoint no longer lists or does not list yet.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from "jose";

export interface SigningKey {
  kid: string;
  alg: "RS256" | "ES256";
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function makeSigningKey(alg: "RS256" | "ES256", kid: string): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: "sig" };
  return { kid, alg, privateKey, publicJwk };
}

export interface JwksServer {
  /** `http://127.0.0.1:PORT/jwks.json` */
  readonly url: string;
  /** GETs answered so far. */
  readonly fetches: number;
  /** The keys listed now. */
  readonly keys: readonly SigningKey[];
  /** List these keys from now on. */
  rotate(keys: readonly SigningKey[]): void;
  /** While true, requests are accepted and never answered (a fetch can only time out). */
  hang: boolean;
  /** Stop listening (fetches fail: connection refused). */
  down(): Promise<void>;
  /** Listen again on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startJwksServer(keys: readonly SigningKey[]): Promise<JwksServer> {
  let current = [...keys];
  let fetches = 0;
  let port = 0;
  let server: Server | undefined;
  let hang = false;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((req, res) => {
        if (req.method === "GET" && req.url === "/jwks.json") {
          fetches++;
          if (hang) return;
          res.writeHead(200, { "content-type": "application/json", connection: "close" });
          res.end(JSON.stringify({ keys: current.map((k) => k.publicJwk) }));
          return;
        }
        res.writeHead(404, { connection: "close" }).end();
      });
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => {
        port = (s.address() as AddressInfo).port;
        server = s;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      const s = server;
      server = undefined;
      if (!s) return resolve();
      s.close(() => resolve());
      s.closeAllConnections();
    });
  await listen();
  return {
    get url() {
      return `http://127.0.0.1:${port}/jwks.json`;
    },
    get fetches() {
      return fetches;
    },
    get keys() {
      return current;
    },
    get hang() {
      return hang;
    },
    set hang(v: boolean) {
      hang = v;
    },
    rotate(next) {
      current = [...next];
    },
    down: stop,
    up: listen,
    close: stop,
  };
}

/** A token signed with `key`: claims as given (`exp` etc. in epoch seconds, set by the caller). */
export async function signToken(key: SigningKey, claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "at+jwt", ...header }).sign(key.privateKey);
}
