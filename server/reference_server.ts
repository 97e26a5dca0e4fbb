/**
 * The reference secrets server: docs/PROTOCOL.md, implemented with Deno's HTTP server, state in memory. It serves
 * the tests (in-process, driven through its methods) and the demo (`deno task dev-server`, loopback only). It can
 * be told to misbehave so the client's handling of each failure can be tested against a real HTTP peer.
 * Not a production server: no TLS, no persistence, no rate limiting of its own.
 */

/** Failure modes, applied to the next `count` requests to /v1/*. */
export type Misbehaviour =
  | { mode: "delay"; ms: number }
  | { mode: "status"; status: number; retryAfter?: string; body?: string }
  | { mode: "malformed" }
  | { mode: "oversized"; bytes: number }
  | { mode: "redirect"; location: string; status?: number }
  | { mode: "drop" };

/** One request as the server saw it (for assertions): never the secret values it returned. */
export interface SeenRequest {
  method: string;
  path: string;
  /** Which credential was presented: "bootstrap", "device:<n>", "unknown", or "none". */
  credential: string;
  ifNoneMatch: string | null;
  status: number;
  /** performance.now() when the request arrived and when the answer was ready. */
  startedAt: number;
  endedAt: number;
}

export interface ServerOptions {
  /** Bootstrap tokens the server accepts. */
  bootstrapTokens: string[];
  /** Whether POST /v1/enroll exists (404 otherwise: clients use the bootstrap token directly). */
  enrollment?: boolean;
  secrets?: Record<string, string>;
  hostname?: string;
  port?: number;
}

export class ReferenceServer {
  readonly requests: SeenRequest[] = [];
  #secrets = new Map<string, string>();
  #version = 1;
  #bootstrap = new Set<string>();
  #devices = new Map<string, number>(); // device token -> device number
  #revoked = new Set<string>();
  #purgeOnRevoke = false;
  #pendingRotation = false;
  #misbehaviour: { what: Misbehaviour; remaining: number } | undefined;
  #enrollment: boolean;
  #server: Deno.HttpServer<Deno.NetAddr>;
  #deviceCount = 0;

  constructor(options: ServerOptions) {
    for (const token of options.bootstrapTokens) this.#bootstrap.add(token);
    this.#enrollment = options.enrollment ?? true;
    this.setSecrets(options.secrets ?? {});
    this.#server = Deno.serve(
      {
        hostname: options.hostname ?? "127.0.0.1",
        port: options.port ?? 0,
        onListen: () => {},
        // "drop" throws on purpose: answer 500 without logging a stack trace for it.
        onError: () => new Response("internal error", { status: 500 }),
      },
      (request) => this.#handle(request),
    );
  }

  /** The base URL clients use, e.g. http://127.0.0.1:41234 */
  get url(): string {
    const { hostname, port } = this.#server.addr;
    return `http://${hostname}:${port}`;
  }

  get etag(): string {
    return `"v${this.#version}"`;
  }

  /** Replaces the secret set; the version (ETag) changes only when the content does. */
  setSecrets(secrets: Record<string, string>): void {
    const next = new Map(Object.entries(secrets));
    const same = next.size === this.#secrets.size && [...next].every(([k, v]) => this.#secrets.get(k) === v);
    if (!same) {
      this.#secrets = next;
      this.#version++;
    }
  }

  /** Misbehave on the next `count` requests to /v1/* (Infinity: until cleared with `behave()`). */
  misbehave(what: Misbehaviour, count = 1): void {
    this.#misbehaviour = { what, remaining: count };
  }

  behave(): void {
    this.#misbehaviour = undefined;
  }

  /** Revokes every device credential and bootstrap token; `purge` tells clients to delete cached secrets. */
  revokeAll(purge = false): void {
    for (const token of [...this.#bootstrap, ...this.#devices.keys()]) this.#revoked.add(token);
    this.#purgeOnRevoke = purge;
  }

  /** The next GET /v1/secrets answers with a rotate_token; the old credential stays valid until the new is used. */
  rotateNext(): void {
    this.#pendingRotation = true;
  }

  /** Device tokens issued so far, in order. */
  get deviceTokens(): string[] {
    return [...this.#devices.keys()];
  }

  async close(): Promise<void> {
    await this.#server.shutdown();
  }

  #identify(request: Request): { credential: string; token: string | undefined } {
    const header = request.headers.get("authorization");
    if (header === null) return { credential: "none", token: undefined };
    const token = header.startsWith("Bearer ") ? header.slice(7) : undefined;
    if (token === undefined) return { credential: "unknown", token };
    if (this.#bootstrap.has(token)) return { credential: "bootstrap", token };
    const device = this.#devices.get(token);
    return { credential: device === undefined ? "unknown" : `device:${device}`, token };
  }

  async #handle(request: Request): Promise<Response> {
    const startedAt = performance.now();
    const url = new URL(request.url);
    const { credential, token } = this.#identify(request);
    const respond = (response: Response) => {
      this.requests.push({
        method: request.method,
        path: url.pathname,
        credential,
        ifNoneMatch: request.headers.get("if-none-match"),
        status: response.status,
        startedAt,
        endedAt: performance.now(),
      });
      return response;
    };
    if (url.pathname.startsWith("/v1/") && this.#misbehaviour !== undefined) {
      const bad = this.#misbehaviour;
      if (--bad.remaining <= 0) this.#misbehaviour = undefined;
      const response = await this.#misbehave(bad.what);
      if (response !== undefined) return respond(response);
    }
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      respond(
        new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } }),
      );
    if (token === undefined || credential === "unknown" || credential === "none") {
      return json(401, { error: "unauthorized" });
    }
    if (this.#revoked.has(token)) {
      return json(401, { error: "revoked", ...(this.#purgeOnRevoke ? { purge: true } : {}) });
    }
    if (url.pathname === "/v1/enroll" && request.method === "POST") {
      if (!this.#enrollment) return json(404, { error: "no enrollment on this server" });
      if (credential !== "bootstrap") return json(403, { error: "enroll with the bootstrap token" });
      const body = await request.json().catch(() => undefined);
      if (typeof body?.device_id !== "string") return json(400, { error: "device_id required" });
      const deviceToken = `dev-${crypto.randomUUID()}`;
      this.#devices.set(deviceToken, ++this.#deviceCount);
      return json(200, { device_token: deviceToken });
    }
    if (url.pathname === "/v1/secrets" && request.method === "GET") {
      if (this.#enrollment && credential === "bootstrap") return json(403, { error: "enroll first" });
      const rotate = this.#pendingRotation && credential.startsWith("device:");
      if (!rotate && request.headers.get("if-none-match") === this.etag) {
        return respond(new Response(null, { status: 304, headers: { etag: this.etag } }));
      }
      const body: Record<string, unknown> = { version: this.#version, secrets: Object.fromEntries(this.#secrets) };
      if (rotate) {
        this.#pendingRotation = false;
        const next = `dev-${crypto.randomUUID()}`;
        this.#devices.set(next, this.#devices.get(token)!);
        body.rotate_token = next;
      }
      return json(200, body, { etag: this.etag });
    }
    return json(404, { error: "not found" });
  }

  async #misbehave(what: Misbehaviour): Promise<Response | undefined> {
    switch (what.mode) {
      case "delay":
        await new Promise((resolve) => setTimeout(resolve, what.ms));
        return undefined;
      case "status":
        return new Response(what.body ?? JSON.stringify({ error: `status ${what.status}` }), {
          status: what.status,
          headers: what.retryAfter === undefined ? {} : { "retry-after": what.retryAfter },
        });
      case "malformed":
        return new Response('{"version": 3, "secrets": {"A": ', { status: 200, headers: { etag: '"broken"' } });
      case "oversized":
        return new Response(`{"version":1,"secrets":{"BIG":"${"x".repeat(what.bytes)}"}}`, { status: 200 });
      case "redirect":
        return new Response(null, { status: what.status ?? 302, headers: { location: what.location } });
      case "drop":
        throw new Error("dropped on purpose"); // Deno answers 500 and logs; the client sees a server error
    }
  }
}

if (import.meta.main) {
  const { parseArgs } = await import("node:util");
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      port: { type: "string", default: "8787" },
      "token-env": { type: "string", default: "AMRS_DEV_TOKEN" },
      "secrets-file": { type: "string" },
      "no-enroll": { type: "boolean" },
    },
  });
  // The token to accept: from the named environment variable, else from stdin (never from the command line).
  const token = Deno.env.get(values["token-env"]) ??
    (Deno.stdin.isTerminal() ? undefined : (await new Response(Deno.stdin.readable).text()).trim());
  if (token === undefined || token === "") {
    console.error(`dev-server: give the bootstrap token to accept on stdin or in ${values["token-env"]}`);
    Deno.exit(2);
  }
  const secrets = values["secrets-file"] === undefined
    ? { DB_PASSWORD: crypto.randomUUID(), API_KEY: crypto.randomUUID() }
    : JSON.parse(await Deno.readTextFile(values["secrets-file"]));
  const server = new ReferenceServer({
    bootstrapTokens: [token],
    enrollment: !values["no-enroll"],
    secrets,
    port: Number(values.port),
  });
  console.log(`reference secrets server on ${server.url} (loopback only), ${Object.keys(secrets).length} secrets`);
}
