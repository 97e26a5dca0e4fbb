import type { Command } from "./_command.ts";
import { nameArgument, notFound } from "./get.ts";

export const deleteCommand: Command = {
  name: "delete",
  summary: "remove one stored value",
  usage: "amrs-bootstrap delete NAME",
  help: "Removes NAME (and any duplicate entries of it). A missing NAME is exit 2, kind not_found.",
  async run({ output, service, keyring, positionals, touched }) {
    const name = nameArgument(positionals, this.usage);
    touched.push(name);
    const store = keyring();
    if (!await store.delete(service, name)) throw notFound(name, service);
    await output.result(
      { service, name, backend: store.backend, deleted: true },
      () => [`deleted ${name} from service '${service}' (${store.backend})`],
    );
  },
};
