import { usageError } from "./errors.ts";

/** The keyring service that the AMRS app reads (`keyring.get_password('amrs', ...)`). */
export const DEFAULT_SERVICE = "amrs";
/** The account under which the bootstrap token is stored (DESIGN.md, "Keyring layout"). */
export const TOKEN_ACCOUNT = "BOOTSTRAP_SECRET_TOKEN";
/**
 * Tool state lives under names with this prefix (device credential, sync state). A secret name can never start
 * with `_`, so a synced secret can never overwrite tool state.
 */
export const RESERVED_PREFIX = "_amrs.";

/**
 * Secret names: a letter, then letters, digits, `_`, `.` or `-`; 1 to 128 characters.
 * `@` and `/` are refused because Windows target names (`{name}@{service}`, Python keyring) and keytar's
 * `service/account` form use them as separators; spaces and control characters because names travel into
 * environment variable names and log lines.
 */
export const SECRET_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,127}$/;
/** Service names: the same alphabet, 1 to 64 characters, and may start with a digit. */
const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** A printable rendering of a rejected name for an error message (names are not secret, but may be garbage). */
function shown(name: string): string {
  return JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}...` : name);
}

/** Throws a usage error (exit 2) unless `name` is a valid secret name. Reserved names are refused. */
export function validateSecretName(name: string): string {
  if (name.startsWith(RESERVED_PREFIX)) {
    throw usageError(`the name ${shown(name)} is reserved for amrs-bootstrap's own state`);
  }
  if (!SECRET_NAME.test(name)) {
    throw usageError(
      `invalid secret name ${shown(name)}`,
      "a name starts with a letter and has only letters, digits, '_', '.' or '-' (at most 128 characters)",
    );
  }
  return name;
}

/** Throws a usage error (exit 2) unless `service` is a valid keyring service name. */
export function validateServiceName(service: string): string {
  if (!SERVICE_NAME.test(service)) {
    throw usageError(
      `invalid service name ${shown(service)}`,
      "a service name has only letters, digits, '_', '.' or '-' (at most 64 characters)",
    );
  }
  return service;
}

/** True for names the tool keeps for itself: the token and everything under the reserved prefix. */
export function isToolEntry(name: string): boolean {
  return name === TOKEN_ACCOUNT || name.startsWith(RESERVED_PREFIX);
}
