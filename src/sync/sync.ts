/**
 * Sync: bring the app's secrets in the keyring up to date with the secrets server (docs/PROTOCOL.md).
 *
 * Safe to kill at any instant (tests/sync_crash_test.ts kills it with SIGKILL at many points):
 * - every keyring write is one atomic item write; the credential is never deleted before its replacement has been
 *   written and read back (rotation goes through `_amrs.device.next`);
 * - the set of names this tool owns is widened in the state entry BEFORE new names are written, so a name written
 *   by a killed run is still known (and deleted) when the server later drops it;
 * - that widened state carries no ETag, and the final state entry (ETag, names, time) is written last, so a
 *   killed run is simply redone: the next run sends no stale If-None-Match and converges;
 * - the device id is kept before enrolling, and "no enrollment" right after the server says so.
 * A no-change sync (HTTP 304) writes nothing at all.
 */
import { CliError } from "../errors.ts";
import { ExitCode } from "../exit_codes.ts";
import type { Keyring } from "../keyring/keyring.ts";
import { isToolEntry, RESERVED_PREFIX, TOKEN_ACCOUNT, validateSecretName } from "../names.ts";
import { MAX_VALUE_BYTES } from "../cli/secret_input.ts";
import { DEVICE_CREDENTIAL_ACCOUNT, STATE_ACCOUNT, type SyncState } from "../state.ts";
import { readSyncState, writeSyncState } from "./state_store.ts";
import { VERSION } from "../version.ts";
import { CredentialRejected, protocolError, request } from "./http.ts";

/** Where a rotated credential waits until it has replaced the current one. */
export const PENDING_CREDENTIAL_ACCOUNT = `${RESERVED_PREFIX}device.next`;
/** Most secrets one document may carry. */
export const MAX_SECRETS = 10_000;

export interface SyncOptions {
  keyring: Keyring;
  service: string;
  serverUrl: string;
  /** Absolute deadline (ms since epoch) for the whole sync. */
  deadline: number;
  /** Delete synced secrets (and the device credential) when the server says the credential is revoked. */
  purgeOnRevoke?: boolean;
  /** Called as secrets are written: (done, total). */
  progress?: (done: number, total: number) => void;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Give up after this many failed connection attempts (see RequestOptions.connectAttempts). */
  connectAttempts?: number;
}

export interface SyncResult {
  notModified: boolean;
  enrolled: boolean;
  rotated: boolean;
  written: string[];
  deleted: string[];
  /** Keyring writes (set and delete) this run made: 0 for a no-change sync. */
  writes: number;
  secrets: number;
}

/** The token is not in the keyring: `launch` installs it from the payload first; `sync` reports exit 10. */
export function tokenMissing(): CliError {
  return new CliError(ExitCode.TokenMissing, "the bootstrap token is not in the keyring", {
    kind: "token_missing",
    hint: "run 'amrs-bootstrap install' (or the launcher) from a build that carries the token",
  });
}

/** Checks a secrets document before anything is written: every name and value, or nothing. */
export function validateDocument(
  body: unknown,
  maxValueUnits?: number,
): { secrets: Map<string, string>; rotateToken?: string } {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw protocolError("the document is not an object");
  }
  const { secrets, rotate_token: rotateToken } = body as Record<string, unknown>;
  if (typeof secrets !== "object" || secrets === null || Array.isArray(secrets)) {
    throw protocolError("the document has no 'secrets' object");
  }
  const entries = Object.entries(secrets as Record<string, unknown>);
  if (entries.length > MAX_SECRETS) throw protocolError(`more than ${MAX_SECRETS} secrets`);
  const checked = new Map<string, string>();
  const folded = new Set<string>();
  for (const [name, value] of entries) {
    try {
      validateSecretName(name);
    } catch {
      throw protocolError(`the server sent an invalid secret name ${JSON.stringify(name.slice(0, 40))}`);
    }
    if (isToolEntry(name)) throw protocolError(`the server sent the reserved name ${name}`);
    if (typeof value !== "string") throw protocolError(`the value of ${name} is not a string`);
    if (value.includes("\0")) throw protocolError(`the value of ${name} contains a NUL character`);
    // UTF-8 is at most 3 bytes per UTF-16 unit: only long values need the exact count.
    if (value.length * 3 > MAX_VALUE_BYTES && new TextEncoder().encode(value).length > MAX_VALUE_BYTES) {
      throw protocolError(`the value of ${name} is too large`);
    }
    if (maxValueUnits !== undefined && value.length > maxValueUnits) {
      throw protocolError(`the value of ${name} is larger than this keyring stores (${maxValueUnits} characters)`);
    }
    // Windows target names are case-insensitive: two names differing only by case would overwrite each other.
    if (folded.has(name.toLowerCase())) throw protocolError(`two secret names differ only by case (${name})`);
    folded.add(name.toLowerCase());
    checked.set(name, value);
  }
  if (rotateToken !== undefined && (typeof rotateToken !== "string" || !/^[\x21-\x7e]{8,4096}$/.test(rotateToken))) {
    throw protocolError("the rotate_token is not a printable token");
  }
  return rotateToken === undefined ? { secrets: checked } : { secrets: checked, rotateToken };
}

/** A stable id for this user's device: kept in the state entry once chosen. */
function newDeviceId(): string {
  return crypto.randomUUID();
}

function hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "unknown";
  }
}

export async function sync(options: SyncOptions): Promise<SyncResult> {
  const { keyring, service } = options;
  const result: SyncResult = {
    notModified: false,
    enrolled: false,
    rotated: false,
    written: [],
    deleted: [],
    writes: 0,
    secrets: 0,
  };
  const write = async (name: string, value: string) => {
    await keyring.set(service, name, value);
    result.writes++;
    if (await keyring.get(service, name) !== value) {
      throw new CliError(ExitCode.KeyringUnavailable, `the keyring did not return what was stored for ${name}`, {
        kind: "verify_failed",
      });
    }
  };
  const remove = async (name: string) => {
    if (await keyring.delete(service, name)) result.writes++;
  };
  const http = (
    method: "GET" | "POST",
    path: string,
    credential: string,
    extra: Partial<Parameters<typeof request>[0]>,
  ) =>
    request({
      method,
      url: `${options.serverUrl}${path}`,
      credential,
      deadline: options.deadline,
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
      ...(options.connectAttempts === undefined ? {} : { connectAttempts: options.connectAttempts }),
      ...extra,
    });

  const names = new Set(await keyring.list(service));
  const token = names.has(TOKEN_ACCOUNT) ? await keyring.get(service, TOKEN_ACCOUNT) : undefined;
  if (token === undefined) throw tokenMissing();
  const state: SyncState = await readSyncState(keyring, service, names);
  const saveState = (next: SyncState) => writeSyncState(keyring, next, names, write, remove);

  // Finish a rotation that a killed run left half done: the new credential was written and read back.
  let device = names.has(DEVICE_CREDENTIAL_ACCOUNT) ? await keyring.get(service, DEVICE_CREDENTIAL_ACCOUNT) : undefined;
  const pending = names.has(PENDING_CREDENTIAL_ACCOUNT)
    ? await keyring.get(service, PENDING_CREDENTIAL_ACCOUNT)
    : undefined;
  if (pending !== undefined) {
    const target = device !== undefined || state.enrolled !== false ? DEVICE_CREDENTIAL_ACCOUNT : TOKEN_ACCOUNT;
    await write(target, pending);
    await remove(PENDING_CREDENTIAL_ACCOUNT);
    if (target === DEVICE_CREDENTIAL_ACCOUNT) device = pending;
  }

  // Enroll once: exchange the bootstrap token for a per-device credential, where the server supports it.
  let credential = device ?? (state.enrolled === false ? token : undefined);
  if (credential === undefined) {
    if (state.deviceId === undefined) {
      // Kept before asking, so a run killed after the server enrolled us asks again with the same id.
      state.deviceId = newDeviceId();
      await saveState(state);
    }
    const enrolled = await http("POST", "/v1/enroll", token, {
      json: {
        device_id: state.deviceId,
        hostname: hostname(),
        platform: `${Deno.build.os}-${Deno.build.arch}`,
        client_version: VERSION,
      },
    });
    if (enrolled.status === 404) {
      credential = token;
      state.enrolled = false;
      await saveState(state); // before anything else, so a rotation of the token itself goes to the right entry
    } else {
      const deviceToken = (enrolled.body as Record<string, unknown> | undefined)?.device_token;
      if (typeof deviceToken !== "string" || !/^[\x21-\x7e]{8,4096}$/.test(deviceToken)) {
        throw protocolError("the enrollment answer has no valid device_token");
      }
      await write(DEVICE_CREDENTIAL_ACCOUNT, deviceToken);
      credential = deviceToken;
      state.enrolled = true;
      result.enrolled = true;
    }
  }

  const owned = new Set((state.names ?? []).filter((n) => !isToolEntry(n)));
  const allPresent = [...owned].every((name) => names.has(name));
  let answer;
  try {
    answer = await http("GET", "/v1/secrets", credential, {
      ...(state.etag !== undefined && allPresent ? { ifNoneMatch: state.etag } : {}),
    });
  } catch (error) {
    if (error instanceof CredentialRejected && (error.purge || options.purgeOnRevoke === true)) {
      for (const name of owned) await remove(name);
      await remove(DEVICE_CREDENTIAL_ACCOUNT);
      for (const name of names) if (name.startsWith(STATE_ACCOUNT)) await remove(name);
    }
    throw error;
  }
  if (answer.status === 304) {
    result.notModified = true;
    result.secrets = owned.size;
    return result;
  }
  if (answer.status === 404) throw protocolError("the server has no /v1/secrets");
  const document = validateDocument(answer.body, keyring.maxValueUnits);

  // Rotation: the new credential is written and read back before the old one is replaced.
  if (document.rotateToken !== undefined) {
    await write(PENDING_CREDENTIAL_ACCOUNT, document.rotateToken);
    await write(state.enrolled === false ? TOKEN_ACCOUNT : DEVICE_CREDENTIAL_ACCOUNT, document.rotateToken);
    await remove(PENDING_CREDENTIAL_ACCOUNT);
    result.rotated = true;
  }

  // Before the first secret is written: widen the owned set (a name written below is never orphaned by a kill) and
  // drop the ETag (a killed run must not later be answered 304 for a half-applied document).
  const incoming = [...document.secrets.keys()].sort();
  const widened = [...new Set([...owned, ...incoming])].sort();
  const base: SyncState = { ...state };
  delete base.etag;
  const toWrite: string[] = [];
  for (const name of incoming) {
    if (!names.has(name) || await keyring.get(service, name) !== document.secrets.get(name)) toWrite.push(name);
  }
  const toDelete = [...owned].filter((name) => !document.secrets.has(name));
  if (toWrite.length > 0 || toDelete.length > 0 || widened.length !== owned.size || state.names === undefined) {
    await saveState({ ...base, names: widened });
  }

  let done = 0;
  for (const name of toWrite) {
    await write(name, document.secrets.get(name)!);
    result.written.push(name);
    options.progress?.(++done, toWrite.length);
  }
  for (const name of toDelete) {
    await remove(name);
    result.deleted.push(name);
  }
  const final: SyncState = { ...base, names: incoming, lastSync: new Date().toISOString(), server: options.serverUrl };
  if (answer.etag !== null) final.etag = answer.etag;
  await saveState(final);
  result.secrets = incoming.length;
  return result;
}
