/**
 * Approvals through the client, end to end: `mcppolicy proxy` (dist/, spawned by a real SDK Client over
 * StdioClientTransport) in front of the official filesystem server, with a policy whose write_file needs
 * an approval the caller may give (`approval required by caller`). A client that declared the
 * elicitation capability is asked (the tool, the arguments, the reason): accepting runs the call once,
 * declining refuses it (nothing written). A client without the capability gets a tool error naming the
 * approval and how to decide it out of band.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const CLI = join(ROOT, "dist", "cli", "main.js");
const FS_SERVER = join(ROOT, "node_modules", "@modelcontextprotocol", "server-filesystem", "dist", "index.js");

let dir = "";
let files = "";
let policyPath = "";
let principalPath = "";

beforeAll(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), "mcpp-proxy-approve-")));
  files = join(dir, "root");
  mkdirSync(files, { recursive: true });
  policyPath = join(dir, "approve.mcppolicy");
  writeFileSync(
    policyPath,
    `policy "proxy-approvals" version "1"
default deny
const ROOT = ${JSON.stringify(files)}

role editor {
  allow tool write_file
}

tool write_file {
  args { path: path(root: ROOT), content: string }
  approval required by caller
}
`,
  );
  principalPath = join(dir, "editor.json");
  writeFileSync(principalPath, JSON.stringify({ id: "ann", roles: ["editor"] }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function connect(capabilities: Record<string, unknown>) {
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, "proxy", "--policy", policyPath, "--principal", principalPath, "--", process.execPath, FS_SERVER, files], stderr: "pipe" });
  const client = new Client({ name: "proxy-approvals-test", version: "1.0.0" }, { capabilities });
  return { client, transport };
}

const textOf = (r: unknown) => (((r as { content?: unknown }).content as { text?: string }[]) ?? []).map((c) => c.text ?? "").join("");

describe("proxy: approvals through the client (elicitation)", () => {
  it("asks the human; accept runs the call once", async () => {
    const { client, transport } = await connect({ elicitation: {} });
    const asked: { message?: string }[] = [];
    client.setRequestHandler(ElicitRequestSchema, async (req) => {
      asked.push(req.params as { message?: string });
      return { action: "accept", content: { approve: true } };
    });
    await client.connect(transport);
    try {
      const target = join(files, "accepted.txt");
      const r = await client.callTool({ name: "write_file", arguments: { path: target, content: "approved content" } });
      expect(r.isError).toBeFalsy();
      expect(readFileSync(target, "utf8")).toBe("approved content");
      expect(asked).toHaveLength(1);
      expect(asked[0]!.message).toContain("write_file");
      expect(asked[0]!.message).toContain("approved content");
    } finally {
      await client.close();
    }
  });

  it("asks the human; decline refuses the call and nothing is written", async () => {
    const { client, transport } = await connect({ elicitation: {} });
    let asked = 0;
    client.setRequestHandler(ElicitRequestSchema, async () => {
      asked++;
      return { action: "decline" };
    });
    await client.connect(transport);
    try {
      const target = join(files, "declined.txt");
      // Refused: the design sheet says an isError result; the enforcer answers -32010 today. Either way
      // the refusal says it was declined, and the tool never ran.
      let refusal: string;
      try {
        const r = await client.callTool({ name: "write_file", arguments: { path: target, content: "x" } });
        expect(r.isError).toBe(true);
        refusal = textOf(r);
      } catch (e) {
        expect((e as { code?: number }).code).toBe(-32010);
        refusal = (e as Error).message;
      }
      expect(refusal).toMatch(/declined/);
      expect(asked).toBe(1);
      expect(existsSync(target)).toBe(false);
    } finally {
      await client.close();
    }
  });

  it("without the elicitation capability: a tool error naming the approval and the command to decide it", async () => {
    const { client, transport } = await connect({});
    await client.connect(transport);
    try {
      const target = join(files, "pending.txt");
      const r = await client.callTool({ name: "write_file", arguments: { path: target, content: "x" } });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/mcppolicy approvals approve \S+/);
      expect(existsSync(target)).toBe(false);
    } finally {
      await client.close();
    }
  });
});
