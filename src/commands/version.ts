import { VERSION } from "../version.ts";
import type { Command } from "./_command.ts";

export const versionCommand: Command = {
  name: "version",
  summary: "print the version",
  usage: "amrs-bootstrap version [--json]",
  help: "Prints the amrs-bootstrap version, the Deno runtime and the platform.",
  async run({ output }) {
    const document = { version: VERSION, deno: Deno.version.deno, os: Deno.build.os, arch: Deno.build.arch };
    await output.result(
      document,
      () => [`amrs-bootstrap ${VERSION} (deno ${Deno.version.deno}, ${Deno.build.os} ${Deno.build.arch})`],
    );
  },
};
