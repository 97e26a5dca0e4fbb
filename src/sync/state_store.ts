/**
 * Reading and writing the sync state (src/state.ts) in the keyring. The state is one entry, `_amrs.state`, unless
 * the keyring limits value sizes (Windows: 1280 characters per credential) and the list of owned names does not
 * fit; then the names are spread over buckets `_amrs.state.<B>.<j>` (by a hash of the name, B a power of two) and
 * the head entry says how many. Written buckets first, head last; the bucket names carry B, so a head never
 * points at buckets of another layout, and a name is always in the same bucket for a given B. With that, a kill at
 * any point leaves a head whose buckets hold every name this tool may still own (docs/PROTOCOL.md, sync.ts).
 */
import type { Keyring } from "../keyring/keyring.ts";
import { parseState, STATE_ACCOUNT, type SyncState } from "../state.ts";
import { protocolError } from "./http.ts";

const BUCKET = /^_amrs\.state\.(\d+)\.(\d+)$/;
const MAX_BUCKETS = 4096;

/** FNV-1a over UTF-16 code units: a stable bucket for a name. */
function bucketOf(name: string, buckets: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % buckets;
}

/** The state entry's JSON (snake_case; parseState reads it back). */
export function serializeState(state: SyncState): string {
  return JSON.stringify({
    ...(state.lastSync === undefined ? {} : { last_sync: state.lastSync }),
    ...(state.server === undefined ? {} : { server: state.server }),
    ...(state.etag === undefined ? {} : { etag: state.etag }),
    ...(state.enrolled === undefined ? {} : { enrolled: state.enrolled }),
    ...(state.deviceId === undefined ? {} : { device_id: state.deviceId }),
    ...(state.buckets === undefined ? {} : { buckets: state.buckets }),
    names: state.names ?? [],
  });
}

/** Reads the state; `present` is the keyring's list of names under the service. */
export async function readSyncState(keyring: Keyring, service: string, present: Set<string>): Promise<SyncState> {
  const head = parseState(present.has(STATE_ACCOUNT) ? await keyring.get(service, STATE_ACCOUNT) : undefined);
  if (head.buckets === undefined) return head;
  const names = new Set<string>();
  for (let j = 0; j < head.buckets; j++) {
    const entry = `_amrs.state.${head.buckets}.${j}`;
    if (!present.has(entry)) continue;
    for (const name of parseState(`{"names":${await keyring.get(service, entry) ?? "[]"}}`).names ?? []) {
      names.add(name);
    }
  }
  return { ...head, names: [...names].sort() };
}

/**
 * Writes the state: one entry when it fits the keyring's value limit, else buckets then the head. Removes buckets
 * of other layouts afterwards. `write`/`remove` count and verify the keyring writes (sync.ts).
 */
export async function writeSyncState(
  keyring: Keyring,
  state: SyncState,
  present: Set<string>,
  write: (name: string, value: string) => Promise<void>,
  remove: (name: string) => Promise<void>,
): Promise<void> {
  const limit = keyring.maxValueUnits;
  const names = state.names ?? [];
  const single: SyncState = { ...state };
  delete single.buckets;
  const whole = serializeState(single);
  let layout = 0;
  if (limit !== undefined && whole.length > limit) {
    for (let buckets = 2; buckets <= MAX_BUCKETS; buckets *= 2) {
      const split: string[][] = Array.from({ length: buckets }, () => []);
      for (const name of names) split[bucketOf(name, buckets)]!.push(name);
      if (split.every((bucket) => JSON.stringify(bucket).length <= limit)) {
        for (const [j, bucket] of split.entries()) await write(`_amrs.state.${buckets}.${j}`, JSON.stringify(bucket));
        layout = buckets;
        break;
      }
    }
    if (layout === 0) throw protocolError("too many secret names for this keyring's value size limit");
    const head: SyncState = { ...state, names: [], buckets: layout };
    await write(STATE_ACCOUNT, serializeState(head));
  } else {
    await write(STATE_ACCOUNT, whole);
  }
  for (const name of present) {
    const match = BUCKET.exec(name);
    if (match !== null && Number(match[1]) !== layout) await remove(name);
  }
}
