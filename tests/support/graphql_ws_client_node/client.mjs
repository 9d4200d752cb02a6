// The reference graphql-transport-ws client (the graphql-ws package, over the ws package), driven by a
// test through JSON lines: commands on stdin, what the client saw on stdout.
//
// Commands:  {"op": "connect", "url": …, "connectionParams": {…} | null, "headers": {…} | null}
//            {"op": "subscribe", "id": …, "query": …, "variables": {…}}
//            {"op": "complete", "id": …}
//            {"op": "close"}
// Events:    {"event": "connected"} · {"event": "closed", "code": …, "reason": …}
//            {"event": "next", "id": …, "payload": {…}} · {"event": "error", "id": …, "errors": …}
//            {"event": "complete", "id": …} · {"event": "failed", "message": …}
import { createInterface } from "node:readline";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const emit = (event) => process.stdout.write(JSON.stringify(event) + "\n");
let client = null;
const subscriptions = new Map();

function socketWithHeaders(headers) {
  // Browsers cannot set headers on a websocket; ws can, for the upgrade-header case.
  return class extends WebSocket {
    constructor(address, protocols) {
      super(address, protocols, { headers: headers || {} });
    }
  };
}

function describe(error) {
  if (Array.isArray(error)) return error;
  if (error && typeof error.code === "number") return { code: error.code, reason: String(error.reason) };
  return { message: String(error && error.message ? error.message : error) };
}

function connect(command) {
  client = createClient({
    url: command.url,
    webSocketImpl: socketWithHeaders(command.headers),
    connectionParams: command.connectionParams ?? undefined,
    lazy: false,
    retryAttempts: 0,
    onNonLazyError: (error) => emit({ event: "failed", ...describe(error) }),
    on: {
      connected: () => emit({ event: "connected" }),
      closed: (event) => emit({ event: "closed", code: event.code, reason: String(event.reason) }),
    },
  });
}

function subscribe(command) {
  const unsubscribe = client.subscribe(
    { query: command.query, variables: command.variables ?? {} },
    {
      next: (payload) => emit({ event: "next", id: command.id, payload }),
      error: (error) => emit({ event: "error", id: command.id, errors: describe(error) }),
      complete: () => emit({ event: "complete", id: command.id }),
    },
  );
  subscriptions.set(command.id, unsubscribe);
}

const lines = createInterface({ input: process.stdin });
lines.on("line", async (line) => {
  const command = JSON.parse(line);
  if (command.op === "connect") connect(command);
  else if (command.op === "subscribe") subscribe(command);
  else if (command.op === "complete") subscriptions.get(command.id)?.();
  else if (command.op === "close") {
    await client?.dispose();
    process.exit(0);
  }
});
lines.on("close", async () => {
  await client?.dispose();
  process.exit(0);
});
