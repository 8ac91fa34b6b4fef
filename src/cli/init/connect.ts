/**
 * Where `init` and `drift` get a server's tools: a saved `tools/list` result (`--tools FILE`), a server
 * started over stdio (`--from -- COMMAND ARGS`) or one reached over Streamable HTTP (`--url URL`), the
 * last two through the MCP SDK's Client (an optional peer dependency, loaded only then).
 * GUARANTEES: every failure is a UsageError with a plain message (a file that cannot be read or is not
 * a tool list, a command that cannot start or exits, a server that answers with an error, no answer
 * within the timeout, a missing SDK), never a stack trace; a stdio server's last lines of stderr are
 * quoted in the message and otherwise kept off the terminal. A spawned server is always closed, and a
 * run never takes longer than the timeout. Pages of `tools/list` are followed (at most MAX_PAGES).
 */
import { UsageError } from "../args.js";
import { readTextFile } from "../io.js";
import { parseToolList, ToolListError, type ListedTool } from "./tool-list.js";

export type ToolSource =
  | { readonly kind: "file"; readonly path: string }
  | { readonly kind: "stdio"; readonly command: string; readonly args: readonly string[] }
  | { readonly kind: "http"; readonly url: string };

export interface Listed {
  readonly tools: ListedTool[];
  /** The server's name (from its `initialize` answer), when it gave one. */
  readonly serverName?: string;
  /** The source in words, for messages and the skeleton's header. */
  readonly label: string;
}

const MAX_PAGES = 100;
const STDERR_KEEP = 2000;

export function describeSource(s: ToolSource): string {
  switch (s.kind) {
    case "file":
      return `'${s.path}'`;
    case "stdio":
      return `'${[s.command, ...s.args].join(" ")}'`;
    case "http":
      return `'${s.url}'`;
  }
}

function fromFile(path: string, command: string): Listed {
  const text = readTextFile(path, command);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`'${path}' is not valid JSON: ${e instanceof Error ? e.message : String(e)}`, command);
  }
  try {
    return { tools: parseToolList(value), label: `the tool list in '${path}'` };
  } catch (e) {
    if (e instanceof ToolListError) throw new UsageError(`'${path}': ${e.message}`, command);
    throw e;
  }
}

interface SdkClient {
  connect(t: unknown): Promise<void>;
  listTools(params?: { cursor?: string }): Promise<{ tools: unknown[]; nextCursor?: string }>;
  getServerVersion(): { name?: string } | undefined;
  close(): Promise<void>;
}

async function loadSdk(command: string) {
  try {
    const [client, stdio, http] = await Promise.all([
      import("@modelcontextprotocol/sdk/client/index.js"),
      import("@modelcontextprotocol/sdk/client/stdio.js"),
      import("@modelcontextprotocol/sdk/client/streamableHttp.js"),
    ]);
    return { Client: client.Client, Stdio: stdio.StdioClientTransport, Http: http.StreamableHTTPClientTransport };
  } catch {
    throw new UsageError("connecting to a server needs the package @modelcontextprotocol/sdk (npm install @modelcontextprotocol/sdk), or pass --tools FILE", command);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(what())), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

async function fromServer(source: ToolSource & { kind: "stdio" | "http" }, timeoutMs: number, command: string): Promise<Listed> {
  const sdk = await loadSdk(command);
  let stderrTail = "";
  let exited: string | undefined;
  let transport: { close(): Promise<void> };
  if (source.kind === "stdio") {
    const t = new sdk.Stdio({ command: source.command, args: [...source.args], stderr: "pipe" });
    t.stderr?.on("data", (chunk: Buffer | string) => {
      stderrTail = (stderrTail + chunk.toString()).slice(-STDERR_KEEP);
    });
    t.onclose = () => {
      exited ??= "the server closed the connection (it exited?)";
    };
    transport = t;
  } else {
    let url: URL;
    try {
      url = new URL(source.url);
    } catch {
      throw new UsageError(`invalid URL '${source.url}'`, command);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`invalid URL '${source.url}': expected http or https`, command);
    transport = new sdk.Http(url);
  }
  const client = new sdk.Client({ name: "mcppolicy-init", version: "1.0.0" }) as unknown as SdkClient;
  const work = async (): Promise<Listed> => {
    await client.connect(transport);
    const raw: unknown[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const r = await client.listTools(cursor === undefined ? undefined : { cursor });
      raw.push(...r.tools);
      cursor = r.nextCursor;
      if (cursor === undefined) break;
    }
    const serverName = client.getServerVersion()?.name;
    return { tools: parseToolList({ tools: raw }), label: `the server ${describeSource(source)}`, ...(typeof serverName === "string" && serverName !== "" && { serverName }) };
  };
  try {
    return await withTimeout(work(), timeoutMs, () => `no answer within ${timeoutMs / 1000} s`);
  } catch (e) {
    const why = e instanceof ToolListError ? `its tool list is malformed: ${e.message}` : exited && !(e instanceof Error && /no answer within/.test(e.message)) ? exited : e instanceof Error ? e.message : String(e);
    const tail = stderrTail.trim().split(/\r?\n/).slice(-3).join(" | ");
    throw new UsageError(`cannot list the tools of ${describeSource(source)}: ${why}${tail ? ` (its stderr: ${tail})` : ""}`, command);
  } finally {
    await client.close().catch(() => undefined);
    await transport.close().catch(() => undefined);
  }
}

/** The tools of the source, or a UsageError. */
export async function listTools(source: ToolSource, timeoutMs: number, command: string): Promise<Listed> {
  return source.kind === "file" ? fromFile(source.path, command) : fromServer(source, timeoutMs, command);
}
