/**
 * A short, non-reversible identifier for a secret value: "sha256:" and the first 12 hex digits (48 bits) of the
 * SHA-256 of its UTF-8 bytes. Enough to tell two tokens apart in a status line or a log; never the value itself.
 *
 * @example
 * ```ts
 * await fingerprint("hello"); // "sha256:2cf24dba5fb0"
 * ```
 */
export async function fingerprint(value: string): Promise<string> {
  const bytes = new TextEncoder().encode(value);
  try {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    return `sha256:${Array.from(digest.subarray(0, 6), (b) => b.toString(16).padStart(2, "0")).join("")}`;
  } finally {
    bytes.fill(0);
  }
}
