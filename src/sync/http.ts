/**
 * The HTTP side of sync (docs/PROTOCOL.md): one request with retries inside an overall deadline, capped
 * exponential backoff with full jitter, Retry-After honoured, bounded response size, and a redirect policy that
 * never carries the credential to another origin. Errors map to the documented exit codes: 6 unreachable,
 * 7 credential rejected, 8 protocol error. Messages never contain the credential or a secret value.
 */
import { CliError } from "../errors.ts";
import { ExitCode } from "../exit_codes.ts";

/** Largest response body accepted (4 MiB): a secrets document for a desktop app is far smaller. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;
const MAX_REDIRECTS = 3;
const BACKOFF_BASE_MS = 250;
const BACKOFF_CAP_MS = 4_000;

export function unreachable(message: string): CliError {
  return new CliError(ExitCode.ServerUnreachable, message, {
    kind: "server_unreachable",
    hint: "cached secrets are untouched; check the network or the server and run 'amrs-bootstrap sync' again",
  });
}

export function protocolError(message: string): CliError {
  return new CliError(ExitCode.ServerProtocol, message, {
    kind: "server_protocol",
    hint: "the secrets server answered something this client does not accept; see docs/PROTOCOL.md",
  });
}

/** 401/403: the server refused the credential. `purge` is the server's instruction to drop cached secrets. */
export class CredentialRejected extends CliError {
  override name = "CredentialRejected";
  readonly purge: boolean;
  readonly status: number;
  constructor(status: number, purge: boolean) {
    super(ExitCode.CredentialRejected, `the secrets server rejected the credential (HTTP ${status})`, {
      kind: "credential_rejected",
      hint: "the device or token was revoked or has expired: contact the AMRS administrators to re-enroll",
    });
    this.purge = purge;
    this.status = status;
  }
}

export interface HttpResponse {
  status: number;
  etag: string | null;
  /** Parsed JSON body for 2xx answers with a body; undefined for 304/404. */
  body: unknown;
}

export interface RequestOptions {
  method: "GET" | "POST";
  url: string;
  credential: string;
  json?: unknown;
  ifNoneMatch?: string;
  /** Absolute time (ms since epoch) after which no attempt starts and any running one is aborted. */
  deadline: number;
  fetch?: typeof fetch;
  /** Wait function (tests make it instant). */
  sleep?: (ms: number) => Promise<void>;
  /**
   * Stop after this many failed connection attempts (default: retry until the deadline). The launcher sets it when
   * a cache exists, so an offline machine starts the app at once instead of waiting out the deadline.
   */
  connectAttempts?: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Retry-After as milliseconds: delta-seconds or an HTTP date (RFC 9110, section 10.2.3); undefined if absent/bad. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Full-jitter backoff: a random wait in [0, min(cap, base * 2^attempt)). */
export function backoffMs(attempt: number, random = Math.random): number {
  return Math.floor(random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt));
}

async function readBounded(response: Response): Promise<string> {
  const length = Number(response.headers.get("content-length") ?? "0");
  if (length > MAX_BODY_BYTES) {
    await response.body?.cancel();
    throw protocolError(`the server's answer is larger than ${MAX_BODY_BYTES} bytes`);
  }
  if (response.body === null) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > MAX_BODY_BYTES) {
      await reader.cancel();
      throw protocolError(`the server's answer is larger than ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.length;
    chunk.fill(0); // the secrets document: no copies left behind
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(all);
  } catch {
    throw protocolError("the server's answer is not UTF-8");
  } finally {
    all.fill(0);
  }
}

/**
 * Sends one request, retrying transient failures (network errors, 5xx, 429) until the deadline. Follows at most
 * three redirects, and only within the same origin: the credential never goes to another origin.
 */
export async function request(options: RequestOptions): Promise<HttpResponse> {
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? defaultSleep;
  let url = new URL(options.url);
  const origin = url.origin;
  let redirects = 0;
  let lastProblem = "no attempt was made";
  let connectFailures = 0;
  /** One backoff step, never past the deadline. */
  const backOff = (attempt: number) => sleep(Math.min(backoffMs(attempt), Math.max(0, options.deadline - Date.now())));
  for (let attempt = 0;; attempt++) {
    const remaining = options.deadline - Date.now();
    if (remaining <= 0) throw unreachable(`the secrets server did not answer in time (${lastProblem})`);
    let response: Response;
    try {
      response = await doFetch(url, {
        method: options.method,
        redirect: "manual",
        signal: AbortSignal.timeout(remaining),
        headers: {
          authorization: `Bearer ${options.credential}`,
          accept: "application/json",
          ...(options.json === undefined ? {} : { "content-type": "application/json" }),
          ...(options.ifNoneMatch === undefined ? {} : { "if-none-match": options.ifNoneMatch }),
        },
        ...(options.json === undefined ? {} : { body: JSON.stringify(options.json) }),
      });
    } catch (error) {
      if (error instanceof Deno.errors.NotCapable) {
        throw protocolError(`this build may not connect to ${url.host} (it is not one of the build's allowed hosts)`);
      }
      lastProblem = error instanceof DOMException && error.name === "TimeoutError"
        ? "timed out"
        : `cannot connect to ${url.host}`;
      if (++connectFailures >= (options.connectAttempts ?? Infinity)) {
        throw unreachable(`the secrets server is unreachable (${lastProblem})`);
      }
      await backOff(attempt);
      continue;
    }
    const { status } = response;
    if (status >= 300 && status < 400 && status !== 304) {
      await response.body?.cancel();
      const location = response.headers.get("location");
      const next = location === null ? undefined : new URL(location, url);
      if (next === undefined) throw protocolError(`HTTP ${status} without a Location header`);
      if (next.origin !== origin) {
        throw protocolError(`refusing to follow a redirect to another origin (${next.origin}) with the credential`);
      }
      if (++redirects > MAX_REDIRECTS) throw protocolError(`more than ${MAX_REDIRECTS} redirects`);
      url = next;
      attempt--;
      continue;
    }
    if (status === 429 || status === 503) {
      await response.body?.cancel();
      // Retry-After as asked, but never a tight loop: at least the base backoff step (Retry-After: 0 is common).
      const wait = Math.max(BACKOFF_BASE_MS, retryAfterMs(response.headers.get("retry-after")) ?? backoffMs(attempt));
      lastProblem = `HTTP ${status}, busy`;
      if (Date.now() + wait > options.deadline) {
        throw unreachable(`the secrets server is busy (HTTP ${status}) and asked to retry after the deadline`);
      }
      await sleep(wait);
      continue;
    }
    if (status >= 500) {
      await response.body?.cancel();
      lastProblem = `HTTP ${status}`;
      await backOff(attempt);
      continue;
    }
    if (status === 401 || status === 403) {
      let purge = false;
      try {
        const body = JSON.parse(await readBounded(response));
        purge = body?.purge === true;
      } catch { /* a body is optional */ }
      throw new CredentialRejected(status, purge);
    }
    if (status === 304 || status === 404) {
      await response.body?.cancel();
      return { status, etag: response.headers.get("etag"), body: undefined };
    }
    if (status !== 200 && status !== 201) {
      await response.body?.cancel();
      throw protocolError(`unexpected HTTP ${status} from ${url.pathname}`);
    }
    let text: string;
    try {
      text = await readBounded(response);
    } catch (error) {
      if (error instanceof CliError) throw error;
      // The body stalled past the deadline, or the connection dropped mid-body: retry while time remains.
      lastProblem = error instanceof DOMException && error.name === "TimeoutError"
        ? "timed out reading the answer"
        : "the connection dropped while reading the answer";
      await backOff(attempt);
      continue;
    }
    try {
      return { status, etag: response.headers.get("etag"), body: JSON.parse(text) };
    } catch {
      throw protocolError(`the server's answer to ${url.pathname} is not valid JSON`);
    }
  }
}
