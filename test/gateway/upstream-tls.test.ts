// An https upstream: the link speaks TLS through node:https and verifies the upstream's certificate against
// the system's trust store, failing closed. A real TLS server with a self-signed certificate made by
// `openssl` here: the link refuses it (onClose, never a hang), so a man in the middle gets nothing.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Peer, upstreamConfig } from "./upstream-helpers.js";

let dir: string;
let server: Server;
let url: string;
let requests = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "upstream-tls-"));
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")], { stdio: "ignore" });
  server = createServer({ key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) }, (_req, res) => {
    requests++;
    res.writeHead(200, { "content-type": "application/json" }).end("{}");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

it("an upstream whose certificate is not trusted is refused: the link closes, nothing is sent", async () => {
  const p = new Peer(upstreamConfig({ url, headers: { authorization: "Bearer upstream-secret" } }));
  const out = await p.request("initialize", { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } });
  expect(out).toEqual({ closed: expect.stringMatching(/self-signed certificate/) });
  expect(p.link.kind).toBe("http");
  expect(requests).toBe(0);
  await p.link.close();
});
