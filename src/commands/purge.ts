import type { Command } from "./_command.ts";

export const purgeCommand: Command = {
  name: "purge",
  summary: "remove token, device credential, synced secrets and state",
  usage: "amrs-bootstrap purge",
  help: "Removes every entry under the service (default 'amrs', which belongs to amrs-bootstrap): the bootstrap\n" +
    "token, the device credential, the synced secrets and the sync state. Running it again is harmless.\n" +
    "Revoke the device on the server as well: a purge only cleans this user's keyring.",
  async run({ output, service, keyring, touched }) {
    const store = keyring();
    const names = await store.list(service);
    const removed: string[] = [];
    for (const name of names) {
      if (await store.delete(service, name)) removed.push(name);
    }
    touched.push(...removed);
    await output.result(
      { service, backend: store.backend, removed },
      () => [
        removed.length === 0
          ? `nothing stored under service '${service}'`
          : `removed ${removed.length} entries from service '${service}': ${removed.join(", ")}`,
      ],
    );
  },
};
