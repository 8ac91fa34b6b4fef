/**
 * Which command starts the mcppolicy language server, from the settings and the workspace: no VS Code API
 * here, so a test runs it on real directories. The order (the README and the `mcppolicy.server.path`
 * setting's description say the same):
 *   1. `mcppolicy.server.path` when set (a relative path is read from the first workspace folder);
 *   2. the first workspace folder holding `node_modules/.bin/mcppolicy` (`mcppolicy.cmd` on Windows);
 *   3. `mcppolicy` on `PATH`.
 * In an untrusted workspace (VS Code's workspace trust) step 2 is skipped: opening a folder must not run
 * an executable the folder brings (VS Code itself drops a workspace's value of the setting there, as the
 * manifest lists it under `restrictedConfigurations`).
 * It never throws: what it cannot find comes back as `{ ok: false, message }`, a sentence for the user.
 * The server is always started as `<command> lsp --stdio`.
 */
import { accessSync, constants, statSync } from "node:fs";
import path from "node:path";

export const SERVER_ARGS: readonly string[] = ["lsp", "--stdio"];

export interface LaunchInput {
  /** The `mcppolicy.server.path` setting (empty or absent: not set). */
  readonly configuredPath?: string | undefined;
  /** The workspace folders' paths on disk, in VS Code's order. */
  readonly workspaceFolders: readonly string[];
  /** The `PATH` to search (the extension host's `process.env.PATH`). */
  readonly envPath?: string | undefined;
  readonly platform?: NodeJS.Platform;
  /** Whether the user trusts the workspace; `false` skips the workspace's node_modules/.bin. Default true. */
  readonly trusted?: boolean;
}

export type LaunchSource = "setting" | "workspace" | "path";
export type Launch =
  | { readonly ok: true; readonly command: string; readonly args: readonly string[]; readonly source: LaunchSource; readonly shell: boolean }
  | { readonly ok: false; readonly message: string };

/** A regular file the user may run (on Windows: any regular file; it has no execute bit). */
export function isExecutableFile(file: string, platform: NodeJS.Platform = process.platform): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    if (platform !== "win32") accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function binNames(platform: NodeJS.Platform): string[] {
  return platform === "win32" ? ["mcppolicy.cmd", "mcppolicy.exe", "mcppolicy"] : ["mcppolicy"];
}

function found(command: string, source: LaunchSource, platform: NodeJS.Platform): Launch {
  // A .cmd shim runs only through a shell on Windows (Node refuses to spawn it directly).
  return { ok: true, command, args: SERVER_ARGS, source, shell: platform === "win32" && /\.cmd$/i.test(command) };
}

/** The command that starts the language server, or why there is none. */
export function resolveServer(input: LaunchInput): Launch {
  const platform = input.platform ?? process.platform;
  const p = platform === "win32" ? path.win32 : path.posix;
  const configured = input.configuredPath?.trim() ?? "";
  if (configured !== "") {
    const base = input.workspaceFolders[0];
    if (!p.isAbsolute(configured) && base === undefined) {
      return { ok: false, message: `mcppolicy: the setting mcppolicy.server.path is a relative path (\`${configured}\`) and no workspace folder is open to read it from; give an absolute path` };
    }
    const file = p.isAbsolute(configured) ? configured : p.resolve(base!, configured);
    if (isExecutableFile(file, platform)) return found(file, "setting", platform);
    return {
      ok: false,
      message: `mcppolicy: the language server \`${file}\` (setting mcppolicy.server.path) is not an executable file; fix the setting, or clear it to use the workspace's node_modules/.bin/mcppolicy or mcppolicy on PATH`,
    };
  }
  for (const folder of input.trusted === false ? [] : input.workspaceFolders) {
    for (const name of binNames(platform)) {
      const file = p.join(folder, "node_modules", ".bin", name);
      if (isExecutableFile(file, platform)) return found(file, "workspace", platform);
    }
  }
  for (const dir of (input.envPath ?? "").split(p.delimiter)) {
    if (dir === "") continue;
    for (const name of binNames(platform)) {
      const file = p.join(dir, name);
      if (isExecutableFile(file, platform)) return found(file, "path", platform);
    }
  }
  const untrusted = input.trusted === false ? " (the workspace's own node_modules/.bin is not used until you trust the workspace)" : "";
  return {
    ok: false,
    message: `mcppolicy: the language server was not found${untrusted}: install mcppolicy in the workspace (\`npm install --save-dev mcppolicy\`) or globally, or set mcppolicy.server.path to the mcppolicy executable`,
  };
}
