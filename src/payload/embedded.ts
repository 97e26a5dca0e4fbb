/**
 * The payload embedded in this build, if any. `deno task embed` writes `sealed_token.generated.ts` next to this file
 * on the build machine (git ignores it; the release builder removes it after compiling). The import below is a
 * literal, so `deno compile` embeds the module when it exists and a build without it still runs.
 */
import { PayloadError } from "./format.ts";

/** The generated module's file name (also used by the builder and the secret scanner). */
export const GENERATED_MODULE = "sealed_token.generated.ts";
/** First line of every generated module: how the secret scanner recognises one. */
export const GENERATED_MARKER = "// amrs-bootstrap sealed payload: generated on the build machine. NEVER COMMIT.";

/** Where payloads come from; tests substitute their own. */
export type PayloadSource = () => Promise<Uint8Array<ArrayBuffer> | undefined>;

/**
 * The embedded payload's bytes, or `undefined` for a build without one. A module that exists but is not a
 * well-formed generated module is a PayloadError (exit 4).
 */
export const embeddedPayload: PayloadSource = async () => {
  let module: Record<string, unknown>;
  try {
    module = await import("./sealed_token.generated.ts");
  } catch (error) {
    if (error instanceof TypeError && /Module not found|Cannot find module/.test(error.message)) return undefined;
    throw new PayloadError("the embedded payload module cannot be loaded; nothing was written");
  }
  const encoded = module.SEALED_PAYLOAD;
  if (typeof encoded !== "string") throw new PayloadError("the embedded payload module has no SEALED_PAYLOAD");
  try {
    return Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0));
  } catch {
    throw new PayloadError("the embedded payload is not valid base64; nothing was written");
  }
};

/** The text of a generated module holding `payload`. */
export function generatedModuleText(payload: Uint8Array, fingerprint: string, buildId: string): string {
  let binary = "";
  for (const byte of payload) binary += String.fromCharCode(byte);
  return `${GENERATED_MARKER}
// Build ${buildId}, token ${fingerprint}. Written by 'deno task embed'; removed by 'deno task release'.
export const SEALED_PAYLOAD: string = "${btoa(binary)}";
`;
}
