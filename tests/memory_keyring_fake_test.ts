/** The in-memory fake passes the same contract as the real backends, so tests built on it mean something. */
import { MemoryKeyring } from "../src/keyring/memory.ts";
import { keyringContract } from "./_support/keyring_contract.ts";

keyringContract("memory keyring (fake)", () => new MemoryKeyring(), { maxValueBytes: 1024 * 1024 });
