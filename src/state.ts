import { RESERVED_PREFIX, SECRET_NAME } from "./names.ts";

/** The keyring entry where the tool keeps its sync state (written last by `sync`, read by `status`). */
export const STATE_ACCOUNT = `${RESERVED_PREFIX}state`;
/** The keyring entry of the per-device credential obtained by enrollment. */
export const DEVICE_CREDENTIAL_ACCOUNT = `${RESERVED_PREFIX}device`;
/** Cached secrets older than this are reported as stale. */
export const STALE_AFTER_SECONDS = 24 * 60 * 60;

/** What the state entry holds: no secret values, only names, times and the server's version tag. */
export interface SyncState {
  /** ISO 8601 time of the last successful sync. */
  lastSync?: string;
  /** The server that answered. */
  server?: string;
  /** The server's ETag of the last secrets document. */
  etag?: string;
  /** Names written by sync (only those are ever deleted by a later sync). */
  names?: string[];
  /** false when the server has no enrollment (the bootstrap token is the credential). */
  enrolled?: boolean;
  /** The device id sent at enrollment. */
  deviceId?: string;
  /** When the names do not fit one entry: how many `_amrs.state.<B>.<j>` buckets hold them (sync/state_store.ts). */
  buckets?: number;
}

/** Parses the state entry; a damaged one reads as empty (the next sync rewrites it), never as an error. */
export function parseState(text: string | undefined): SyncState {
  if (text === undefined) return {};
  try {
    const raw: unknown = JSON.parse(text);
    if (typeof raw !== "object" || raw === null) return {};
    const record = raw as Record<string, unknown>;
    const state: SyncState = {};
    if (typeof record.last_sync === "string" && !Number.isNaN(Date.parse(record.last_sync))) {
      state.lastSync = record.last_sync;
    }
    if (typeof record.server === "string") state.server = record.server;
    if (typeof record.etag === "string") state.etag = record.etag;
    // Only names a sync could have written: a damaged entry never makes sync delete tool state or fail on "".
    if (Array.isArray(record.names)) {
      state.names = record.names.filter((n): n is string => typeof n === "string" && SECRET_NAME.test(n));
    }
    if (
      typeof record.buckets === "number" && Number.isInteger(record.buckets) && record.buckets >= 2 &&
      record.buckets <= 4096
    ) state.buckets = record.buckets;
    if (typeof record.enrolled === "boolean") state.enrolled = record.enrolled;
    if (typeof record.device_id === "string") state.deviceId = record.device_id;
    return state;
  } catch {
    return {};
  }
}
