/**
 * The sealed payload: the bootstrap token encrypted with AES-256-GCM under a random per-build key, with the build's
 * non-secret settings in an authenticated header. Layout (all integers big-endian):
 *
 * ```
 * offset       size  field
 * 0            8     magic "AMRSSEAL"
 * 8            1     format version (1)
 * 9            2     header length H
 * 11           H     header: UTF-8 JSON (format, build_id, service, account, created, server_url, allowed_hosts,
 *                    trusted_apps)
 * 11+H         32    AES-256 key (random per build)
 * 43+H         12    GCM nonce (random 96 bits)
 * 55+H         n+16  ciphertext of the token (n >= 1 bytes) and the 128-bit GCM tag
 * ```
 *
 * The additional authenticated data is bytes [0, 11+H): magic, version, header length and header. A wrong key,
 * nonce, ciphertext or tag fails the tag check; every other byte is covered by the AAD. So any single flipped byte,
 * and any truncation, is detected before anything is written (tests/payload_test.ts flips every position).
 *
 * The key travels in the same binary: this stops casual extraction (`strings`) and tampering, not a determined
 * attacker with the binary. docs/SECURITY.md says what the server must do about that.
 */
import { CliError } from "../errors.ts";
import { ExitCode } from "../exit_codes.ts";
import { validateSecretName, validateServiceName } from "../names.ts";

export const MAGIC = new TextEncoder().encode("AMRSSEAL");
export const FORMAT_VERSION = 1;
const FIXED_PREFIX = MAGIC.length + 1 + 2; // magic, version, header length
const KEY_BYTES = 32; // AES-256
const NONCE_BYTES = 12; // 96-bit GCM nonce (NIST SP 800-38D, section 8.2)
const TAG_BYTES = 16; // 128-bit GCM tag
/** Tokens longer than this are refused at build time (and a header that claims more is corrupt). */
export const MAX_TOKEN_BYTES = 8 * 1024;
const MAX_HEADER_BYTES = 4 * 1024;

/** Build-time settings sealed beside the token. None of them is secret; all of them are authenticated. */
export interface BuildSettings {
  /** Keyring service the token and secrets go under (default `amrs`). */
  service: string;
  /** Account of the token (default `BOOTSTRAP_SECRET_TOKEN`). */
  account: string;
  /** Secrets server base URL, if the build has one. */
  serverUrl?: string;
  /** Hosts the binary may talk to (the release bakes them into --allow-net). */
  allowedHosts?: string[];
  /** macOS: apps (absolute bundle or executable paths) trusted to read the keychain items without a prompt. */
  trustedApps?: string[];
}

/** The authenticated header, as opened. */
export interface PayloadHeader extends BuildSettings {
  format: number;
  /** Random id of the build (hex), also in the release manifest. */
  buildId: string;
  /** ISO 8601 time of sealing. */
  created: string;
}

/** The payload is missing, corrupt or tampered: exit 4, and nothing may be written. */
export class PayloadError extends CliError {
  override name = "PayloadError";
  constructor(message: string, kind = "payload_invalid") {
    super(ExitCode.PayloadInvalid, message, {
      kind,
      hint: kind === "no_payload"
        ? "install a release built with 'deno task release' on the build machine (see docs/RELEASE.md)"
        : "this binary was modified or damaged: reinstall it from the signed release, and check SHA256SUMS",
    });
  }
}

function corrupt(what: string): PayloadError {
  return new PayloadError(`the sealed payload is corrupt or has been tampered with (${what}); nothing was written`);
}

function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function importKey(raw: Uint8Array<ArrayBuffer>, usage: KeyUsage): Promise<CryptoKey> {
  try {
    return await crypto.subtle.importKey("raw", raw, { name: "AES-GCM" }, false, [usage]);
  } finally {
    raw.fill(0);
  }
}

/**
 * Seals `token` (UTF-8 bytes, zeroed by the caller) with a fresh random key and nonce.
 *
 * @example
 * ```ts
 * const { payload, header } = await sealToken(tokenBytes, { service: "amrs", account: "BOOTSTRAP_SECRET_TOKEN" });
 * ```
 */
export async function sealToken(
  token: Uint8Array<ArrayBuffer>,
  settings: BuildSettings,
): Promise<{ payload: Uint8Array<ArrayBuffer>; header: PayloadHeader }> {
  if (token.length === 0) throw new CliError(ExitCode.Usage, "the bootstrap token is empty", { kind: "usage" });
  if (token.length > MAX_TOKEN_BYTES) {
    throw new CliError(ExitCode.Usage, `the bootstrap token is longer than ${MAX_TOKEN_BYTES} bytes`, {
      kind: "usage",
    });
  }
  const header: PayloadHeader = {
    format: FORMAT_VERSION,
    buildId: randomHex(16),
    created: new Date().toISOString(),
    ...checkSettings(settings),
  };
  const headerBytes = new TextEncoder().encode(JSON.stringify(encodeHeader(header)));
  if (headerBytes.length > MAX_HEADER_BYTES) throw new CliError(ExitCode.Usage, "the build settings are too long");
  const aad = new Uint8Array(FIXED_PREFIX + headerBytes.length);
  aad.set(MAGIC);
  const view = new DataView(aad.buffer);
  view.setUint8(MAGIC.length, FORMAT_VERSION);
  view.setUint16(MAGIC.length + 1, headerBytes.length);
  aad.set(headerBytes, FIXED_PREFIX);

  const rawKey = crypto.getRandomValues(new Uint8Array(KEY_BYTES));
  const nonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
  const payload = new Uint8Array(aad.length + KEY_BYTES + NONCE_BYTES + token.length + TAG_BYTES);
  payload.set(aad);
  payload.set(rawKey, aad.length);
  payload.set(nonce, aad.length + KEY_BYTES);
  const key = await importKey(rawKey, "encrypt");
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt({ name: "AES-GCM", iv: nonce, additionalData: aad, tagLength: 128 }, key, token),
  );
  payload.set(sealed, aad.length + KEY_BYTES + NONCE_BYTES);
  return { payload, header };
}

/**
 * Opens a payload: checks the layout, authenticates the header and decrypts the token. Any problem is a
 * PayloadError (exit 4). The returned token bytes belong to the caller, who zeroes them after use.
 */
export async function openPayload(
  payload: Uint8Array<ArrayBuffer>,
): Promise<{ header: PayloadHeader; token: Uint8Array<ArrayBuffer> }> {
  if (payload.length < FIXED_PREFIX) throw corrupt("too short");
  if (!MAGIC.every((byte, i) => payload[i] === byte)) throw corrupt("bad magic");
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const version = view.getUint8(MAGIC.length);
  if (version !== FORMAT_VERSION) throw corrupt(`unknown format version ${version}`);
  const headerLength = view.getUint16(MAGIC.length + 1);
  const aadEnd = FIXED_PREFIX + headerLength;
  const minimum = aadEnd + KEY_BYTES + NONCE_BYTES + 1 + TAG_BYTES;
  if (headerLength > MAX_HEADER_BYTES || payload.length < minimum) throw corrupt("truncated");
  if (payload.length > minimum - 1 + MAX_TOKEN_BYTES) throw corrupt("too long");

  const aad = payload.slice(0, aadEnd);
  const rawKey = payload.slice(aadEnd, aadEnd + KEY_BYTES);
  const nonce = payload.slice(aadEnd + KEY_BYTES, aadEnd + KEY_BYTES + NONCE_BYTES);
  const sealed = payload.slice(aadEnd + KEY_BYTES + NONCE_BYTES);
  const key = await importKey(rawKey, "decrypt");
  let token: Uint8Array<ArrayBuffer>;
  try {
    token = new Uint8Array(
      await crypto.subtle.decrypt({ name: "AES-GCM", iv: nonce, additionalData: aad, tagLength: 128 }, key, sealed),
    );
  } catch {
    throw corrupt("authentication failed");
  }
  // Only now is the header trusted; it must still make sense.
  let header: PayloadHeader;
  try {
    header = decodeHeader(JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(aad.subarray(FIXED_PREFIX))));
  } catch (error) {
    token.fill(0);
    throw error instanceof PayloadError ? error : corrupt("unreadable header");
  }
  return { header, token };
}

function checkSettings(settings: BuildSettings): BuildSettings {
  validateServiceName(settings.service);
  validateSecretName(settings.account);
  const checked: BuildSettings = { service: settings.service, account: settings.account };
  if (settings.serverUrl !== undefined) checked.serverUrl = checkServerUrl(settings.serverUrl);
  if (settings.allowedHosts !== undefined && settings.allowedHosts.length > 0) {
    checked.allowedHosts = settings.allowedHosts.map((host) => {
      if (!/^[A-Za-z0-9.-]+(:[0-9]{1,5})?$/.test(host)) throw new CliError(ExitCode.Usage, `invalid host '${host}'`);
      return host.toLowerCase();
    });
  }
  if (settings.trustedApps !== undefined && settings.trustedApps.length > 0) {
    if (settings.trustedApps.length > 16) throw new CliError(ExitCode.Usage, "at most 16 trusted apps");
    checked.trustedApps = settings.trustedApps.map((path) => {
      if (!path.startsWith("/") || path.includes("\0") || path.length > 1024) {
        throw new CliError(ExitCode.Usage, `a trusted app must be an absolute path: '${path}'`, { kind: "usage" });
      }
      return path;
    });
  }
  return checked;
}

/** HTTPS only, except loopback (DESIGN.md, "Secrets server protocol"); no credentials or fragments in the URL. */
export function checkServerUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(ExitCode.Usage, "invalid server URL", { kind: "usage" });
  }
  // Checked first, and the URL is never echoed: it could carry user:password.
  if (url.username !== "" || url.password !== "") {
    throw new CliError(ExitCode.Usage, "the server URL must not carry credentials (user:password@)", { kind: "usage" });
  }
  const loopback = ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw new CliError(ExitCode.Usage, `the server URL must use https (http only for loopback): ${url.origin}`, {
      kind: "usage",
    });
  }
  if (url.hash !== "" || url.search !== "") {
    throw new CliError(ExitCode.Usage, "the server URL must not carry a query or a fragment", {
      kind: "usage",
    });
  }
  return url.href.replace(/\/$/, "");
}

/** The header's JSON form (snake_case, as in the manifest). */
function encodeHeader(header: PayloadHeader): Record<string, unknown> {
  return {
    format: header.format,
    build_id: header.buildId,
    created: header.created,
    service: header.service,
    account: header.account,
    ...(header.serverUrl === undefined ? {} : { server_url: header.serverUrl }),
    ...(header.allowedHosts === undefined ? {} : { allowed_hosts: header.allowedHosts }),
    ...(header.trustedApps === undefined ? {} : { trusted_apps: header.trustedApps }),
  };
}

function decodeHeader(raw: unknown): PayloadHeader {
  if (typeof raw !== "object" || raw === null) throw corrupt("header is not an object");
  const r = raw as Record<string, unknown>;
  const text = (name: string) => {
    if (typeof r[name] !== "string") throw corrupt(`header field ${name}`);
    return r[name] as string;
  };
  if (r.format !== FORMAT_VERSION) throw corrupt("header format");
  const header: PayloadHeader = {
    format: FORMAT_VERSION,
    buildId: text("build_id"),
    created: text("created"),
    service: text("service"),
    account: text("account"),
  };
  if (r.server_url !== undefined) header.serverUrl = text("server_url");
  if (r.allowed_hosts !== undefined) {
    if (!Array.isArray(r.allowed_hosts) || !r.allowed_hosts.every((h) => typeof h === "string")) {
      throw corrupt("header field allowed_hosts");
    }
    header.allowedHosts = r.allowed_hosts;
  }
  if (r.trusted_apps !== undefined) {
    if (!Array.isArray(r.trusted_apps) || !r.trusted_apps.every((h) => typeof h === "string")) {
      throw corrupt("header field trusted_apps");
    }
    header.trustedApps = r.trusted_apps;
  }
  try {
    checkSettings(header);
  } catch {
    throw corrupt("header settings");
  }
  return header;
}

/** The manifest/log form of a header: the same fields as sealed, snake_case. */
export function headerJson(header: PayloadHeader): Record<string, unknown> {
  return encodeHeader(header);
}
