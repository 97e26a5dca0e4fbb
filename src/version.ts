/** The release version of amrs-bootstrap; `deno.json` carries the same number (a test checks that they agree). */
export const VERSION = "0.1.0";
