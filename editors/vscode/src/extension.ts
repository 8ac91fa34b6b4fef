/**
 * The VS Code extension: starts `mcppolicy lsp --stdio` (the command chosen by launch.ts) through
 * vscode-languageclient for every `.mcppolicy` document; restarts it when `mcppolicy.server.path` changes,
 * when the user grants the workspace trust, or on the `mcppolicy.restartServer` command; and says plainly
 * when the executable is missing or fails to start instead of failing silently. Highlighting needs none
 * of this: the grammars are static files.
 */
import * as vscode from "vscode";
import { LanguageClient, type LanguageClientOptions, type ServerOptions } from "vscode-languageclient/node";
import { resolveServer } from "./launch.js";

let client: LanguageClient | undefined;

function workspacePaths(): string[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === "file").map((f) => f.uri.fsPath);
}

async function start(): Promise<void> {
  const folders = workspacePaths();
  const launch = resolveServer({
    configuredPath: vscode.workspace.getConfiguration("mcppolicy").get<string>("server.path"),
    workspaceFolders: folders,
    envPath: process.env.PATH,
    trusted: vscode.workspace.isTrusted,
  });
  if (!launch.ok) {
    const choice = await vscode.window.showErrorMessage(launch.message, "Open Settings");
    if (choice === "Open Settings") await vscode.commands.executeCommand("workbench.action.openSettings", "mcppolicy.server.path");
    return;
  }
  // Through a shell (a Windows .cmd shim) the command line is joined with spaces: quote the path.
  const run = { command: launch.shell ? `"${launch.command}"` : launch.command, args: [...launch.args], options: { cwd: folders[0], shell: launch.shell } };
  const serverOptions: ServerOptions = { run, debug: run };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "mcppolicy" },
      { scheme: "untitled", language: "mcppolicy" },
    ],
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.mcppolicy") },
  };
  // The id "mcppolicy" makes vscode-languageclient read the `mcppolicy.trace.server` setting.
  client = new LanguageClient("mcppolicy", "mcppolicy language server", serverOptions, clientOptions);
  try {
    await client.start();
  } catch (e) {
    client = undefined;
    const why = e instanceof Error ? e.message : String(e);
    void vscode.window.showErrorMessage(`mcppolicy: could not start the language server \`${launch.command} lsp --stdio\`: ${why}`);
  }
}

async function stop(): Promise<void> {
  const c = client;
  client = undefined;
  if (c !== undefined) await c.stop().catch(() => undefined);
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(
    vscode.commands.registerCommand("mcppolicy.restartServer", async () => {
      await stop();
      await start();
    }),
    // Trust granted: the workspace's own mcppolicy may now be the one to run.
    vscode.workspace.onDidGrantWorkspaceTrust(async () => {
      await stop();
      await start();
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (!e.affectsConfiguration("mcppolicy.server.path")) return;
      await stop();
      await start();
    }),
  );
  await start();
}

export function deactivate(): Promise<void> {
  return stop();
}
