/**
 * The language server's wiring: one connection over the given streams, the open documents (overlaid
 * on the disk for imports), diagnostics published 150 ms after the last change of a policy (and of
 * every open policy that imports it), and the requests: hover, definition, references, completion,
 * prepareRename, rename.
 * GUARANTEES: a handler that throws answers with an empty result (null or []) and logs the error
 * through connection.console; a rename refusal is the one error answered as an error; a request for
 * an unknown document or an invalid position is an empty answer. The process ends on `exit`.
 * Before `initialize`, a request is answered ServerNotInitialized (-32002) and a notification is
 * dropped; a second `initialize` is answered InvalidRequest. A notification with params of the wrong
 * types changes nothing. When the input ends (even mid-message) nothing of the server holds the
 * process once the messages already read are answered. A broken framing (a header without a numeric
 * Content-Length: the stream cannot be resynchronised; a header or a body over the limits of
 * framing.ts, which the reader would buffer whole) is reported once to `onBrokenFraming`;
 * invalid JSON in a well-framed message is logged and skipped.
 */
import { TextDocument } from "vscode-languageserver-textdocument";
import {
  createConnection,
  ErrorCodes,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
  TextDocumentSyncKind,
  type Connection,
  type Position,
} from "vscode-languageserver/node";
import { DocumentStore, offsetOf } from "./documents.js";
import { toLspDiagnostics } from "./diagnostics.js";
import { hoverAt } from "./hover.js";
import { definitionAt, prepareRenameAt, referencesAt, related, renameAt } from "./navigate.js";
import { analyze, type Analysis } from "./project.js";
import { completeAt } from "./completion.js";
import { toolsBeside } from "./tools-json.js";
import { rangeOf } from "./documents.js";
import { watchFraming } from "./framing.js";

export const DEBOUNCE_MS = 150;

const isInt = (n: unknown) => typeof n === "number" && Number.isInteger(n);
const isPos = (p: unknown) => !!p && typeof p === "object" && isInt((p as Position).line) && isInt((p as Position).character);
/** A content change of the right shape: a text, and a range of integer positions if any. */
function isChange(c: unknown): boolean {
  if (!c || typeof c !== "object" || typeof (c as { text?: unknown }).text !== "string") return false;
  const r = (c as { range?: { start?: unknown; end?: unknown } }).range;
  return r === undefined || (!!r && isPos(r.start) && isPos(r.end));
}

/** What the host hears besides `exit`: `shutdown`, and a broken framing (see the header). */
export interface ServerHooks {
  readonly onShutdown?: () => void;
  readonly onBrokenFraming?: (reason: string) => void;
}

/** Errors of the reader that leave the byte stream out of step (vscode-jsonrpc's header parsing). */
const FRAMING = /^(Header must provide a Content-Length|Content-Length value must be a number|Message header must separate)/;

export function startServer(input: NodeJS.ReadableStream, output: NodeJS.WritableStream, hooks: ServerHooks = {}): Connection {
  const reader = new StreamMessageReader(input);
  // The reader's partial-message warning re-arms itself every 10 s while a message is incomplete, so a
  // body cut short by a closed stdin would keep the process alive forever; nothing here uses it.
  reader.partialMessageTimeout = 0;
  const connection = createConnection(reader, new StreamMessageWriter(output));
  const store = new DocumentStore();
  const timers = new Map<string, NodeJS.Timeout>();
  let initialized = false;
  let broken = false;
  const breakFraming = (why: string) => {
    if (broken) return;
    broken = true;
    for (const t of timers.values()) clearTimeout(t);
    hooks.onBrokenFraming?.(`the message framing is broken (${why})`);
  };
  reader.onError((e) => {
    const message = e instanceof Error ? e.message : String(e);
    if (FRAMING.test(message)) breakFraming(message.split("\n")[0]!);
    // Otherwise invalid JSON in a well-framed message: logged by the connection, skipped.
  });
  connection.onShutdown(() => hooks.onShutdown?.());

  const log = (what: string, e: unknown) => connection.console.error(`mcppolicy lsp: ${what}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);

  /** Run a handler; a throw is logged and answered with `empty`. A ResponseError (a refused rename) goes to the client. */
  function guard<P, R>(what: string, empty: R, fn: (p: P) => R): (p: P) => R {
    return (p: P) => {
      if (!initialized) throw new ResponseError(ErrorCodes.ServerNotInitialized, "the server is not initialized: send `initialize` first");
      try {
        return fn(p);
      } catch (e) {
        if (e instanceof ResponseError) throw e;
        log(what, e);
        return empty;
      }
    };
  }

  /** The analysis of an open document and the offset of a position in it, or undefined (bad input). */
  const at = (p: { textDocument?: { uri?: unknown }; position?: Position }): { a: Analysis; offset: number } | undefined => {
    const uri = p?.textDocument?.uri;
    if (typeof uri !== "string") return undefined;
    const doc = store.get(uri);
    if (!doc) return undefined;
    const offset = offsetOf(doc, p.position);
    return offset === undefined ? undefined : { a: analyze(store, doc), offset };
  };
  const group = (a: Analysis) => related(a, store.all().filter((d) => d.uri !== a.doc.uri).map((d) => analyze(store, d)));

  const publish = (uri: string) => {
    const doc = store.get(uri);
    if (!doc) return;
    try {
      void connection.sendDiagnostics({ uri: doc.uri, version: doc.version, diagnostics: toLspDiagnostics(analyze(store, doc)) });
    } catch (e) {
      log("diagnostics", e);
    }
  };
  const schedule = (uri: string) => {
    clearTimeout(timers.get(uri));
    timers.set(
      uri,
      setTimeout(() => {
        timers.delete(uri);
        publish(uri);
      }, DEBOUNCE_MS),
    );
  };
  /** A change to one file can change the diagnostics of every open policy that imports it. */
  const scheduleAll = (uri: string) => {
    schedule(uri);
    for (const d of store.all()) if (d.uri !== uri) schedule(d.uri);
  };

  connection.onInitialize(() => {
    if (initialized) throw new ResponseError(ErrorCodes.InvalidRequest, "`initialize` was already received");
    initialized = true;
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        hoverProvider: true,
        definitionProvider: true,
        referencesProvider: true,
        renameProvider: { prepareProvider: true },
        completionProvider: { triggerCharacters: ["."] },
      },
      serverInfo: { name: "mcppolicy" },
    };
  });

  connection.onDidOpenTextDocument((p) => {
    try {
      const d = p?.textDocument;
      if (!initialized || !d || typeof d.uri !== "string" || typeof d.text !== "string") return;
      store.set(TextDocument.create(d.uri, d.languageId, d.version, d.text));
      scheduleAll(d.uri);
    } catch (e) {
      log("didOpen", e);
    }
  });
  connection.onDidChangeTextDocument((p) => {
    try {
      const uri = p?.textDocument?.uri;
      if (!initialized || typeof uri !== "string" || !Array.isArray(p.contentChanges)) return;
      const doc = store.get(uri);
      if (!doc || !p.contentChanges.every(isChange)) return;
      store.set(TextDocument.update(doc, p.contentChanges, p.textDocument.version));
      scheduleAll(p.textDocument.uri);
    } catch (e) {
      log("didChange", e);
    }
  });
  connection.onDidCloseTextDocument((p) => {
    try {
      if (!initialized || typeof p?.textDocument?.uri !== "string") return;
      clearTimeout(timers.get(p.textDocument.uri));
      timers.delete(p.textDocument.uri);
      store.delete(p.textDocument.uri);
      void connection.sendDiagnostics({ uri: p.textDocument.uri, diagnostics: [] });
      for (const d of store.all()) schedule(d.uri);
    } catch (e) {
      log("didClose", e);
    }
  });

  connection.onHover(
    guard("hover", null, (p) => {
      const x = at(p);
      const h = x && hoverAt(x.a, x.offset);
      if (!x || !h) return null;
      return { contents: { kind: "markdown" as const, value: h.contents }, ...(h.span && h.span.file === x.a.file && { range: rangeOf(x.a.doc, h.span) }) };
    }),
  );
  connection.onDefinition(guard("definition", [], (p) => {
    const x = at(p);
    return x ? definitionAt(x.a, x.offset) : [];
  }));
  connection.onReferences(guard("references", [], (p) => {
    const x = at(p);
    return x ? referencesAt(x.a, x.offset, p.context?.includeDeclaration !== false, group(x.a)) : [];
  }));
  connection.onCompletion(guard("completion", [], (p) => {
    const x = at(p);
    return x ? completeAt(x.a, x.offset, () => toolsBeside(x.a.file, (m) => connection.console.warn(m))) : [];
  }));
  connection.onPrepareRename(guard("prepareRename", null, (p) => {
    const x = at(p);
    return x ? prepareRenameAt(x.a, x.offset) : null;
  }));
  connection.onRenameRequest(guard("rename", null, (p) => {
    const x = at(p);
    return x ? renameAt(x.a, x.offset, p.newName, group(x.a)) : null;
  }));

  connection.listen();
  // Attached after the reader's own listener, so no chunk can flow before the reader hears it.
  input.on("data", watchFraming(breakFraming));
  return connection;
}
