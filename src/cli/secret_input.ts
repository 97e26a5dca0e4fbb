import { usageError } from "../errors.ts";

/**
 * The most bytes `set` reads from stdin (1 MiB). Past that the input is refused, not truncated. Backends have their
 * own, smaller limits (Windows: 2560 bytes), checked before their native call.
 */
export const MAX_VALUE_BYTES = 1024 * 1024;

/** Where a secret value comes from: stdin only, never argv or the environment. */
export interface SecretSource {
  readable: ReadableStream<Uint8Array>;
  isTerminal: boolean;
  /** Switches terminal echo off (raw mode) while a value is typed; absent when stdin is not a terminal. */
  setRaw?: (raw: boolean) => void;
}

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Reads one secret value from stdin. From a pipe or file: everything, with one trailing "\n" (or "\r\n") removed,
 * as `echo value |` adds it. From a terminal: one line typed without echo. Refused with exit 2 and nothing written:
 * empty input, more than {@link MAX_VALUE_BYTES}, invalid UTF-8, a NUL character.
 * The bytes read are zeroed before returning; the returned string is the only copy left in this process's heap.
 *
 * @example
 * ```ts
 * const value = await readSecretValue({ readable: Deno.stdin.readable, isTerminal: false }, "API_KEY");
 * ```
 */
export async function readSecretValue(source: SecretSource, name: string, prompt?: (text: string) => Promise<void>) {
  const bytes = source.isTerminal ? await readTerminalLine(source, name, prompt) : await readAll(source.readable);
  try {
    let end = bytes.length;
    if (!source.isTerminal && end > 0 && bytes[end - 1] === 0x0a) {
      end--;
      if (end > 0 && bytes[end - 1] === 0x0d) end--;
    }
    if (end === 0) {
      throw usageError(
        `no value for ${name} on stdin; nothing was written`,
        "pipe the value in: ... | amrs-bootstrap set NAME",
      );
    }
    const body = bytes.subarray(0, end);
    if (body.includes(0)) throw usageError(`the value for ${name} contains a NUL byte; nothing was written`);
    try {
      return decoder.decode(body);
    } catch {
      throw usageError(`the value for ${name} is not valid UTF-8 text; nothing was written`);
    }
  } finally {
    bytes.fill(0);
  }
}

async function readAll(readable: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = readable.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      chunks.push(value);
      if (total > MAX_VALUE_BYTES + 2) break;
    }
  } finally {
    reader.releaseLock();
  }
  const all = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.length;
    chunk.fill(0);
  }
  // +2: a value of exactly the limit may carry its "\r\n".
  if (total > MAX_VALUE_BYTES + 2) {
    all.fill(0);
    throw usageError(`the value is larger than ${MAX_VALUE_BYTES} bytes; nothing was written`);
  }
  return all;
}

async function readTerminalLine(source: SecretSource, name: string, prompt?: (text: string) => Promise<void>) {
  await prompt?.(`Value for ${name} (input hidden, Enter to finish): `);
  source.setRaw?.(true);
  const typed: number[] = [];
  const reader = source.readable.getReader();
  try {
    outer: for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      for (const byte of value) {
        if (byte === 0x0d || byte === 0x0a) break outer; // Enter
        if (byte === 0x03 || byte === 0x04) { // Ctrl-C, Ctrl-D: cancel
          typed.fill(0);
          throw usageError(`cancelled; nothing was written for ${name}`);
        }
        if (byte === 0x7f || byte === 0x08) typed.pop(); // Backspace
        else typed.push(byte);
        if (typed.length > MAX_VALUE_BYTES) throw usageError(`the value is larger than ${MAX_VALUE_BYTES} bytes`);
      }
      value.fill(0);
    }
  } finally {
    reader.releaseLock();
    source.setRaw?.(false);
    await prompt?.("\n");
  }
  const bytes = Uint8Array.from(typed);
  typed.fill(0);
  return bytes;
}
