/**
 * Exit codes of amrs-bootstrap: the table in DESIGN.md ("Exit codes"), and docs/CLI.md for users.
 * Installers and scripts branch on these numbers, so they never change meaning.
 */
export const ExitCode = {
  /** Done. */
  Ok: 0,
  /** Internal error: a bug. A message and a log line say where. */
  Internal: 1,
  /** Usage error, invalid name or value, or no such secret. */
  Usage: 2,
  /** Keyring unavailable, locked, or access denied: the message names the fix. */
  KeyringUnavailable: 3,
  /** Sealed payload missing, corrupt or tampered. */
  PayloadInvalid: 4,
  /** Wrong user context (root, LocalSystem, no logon session): install deferred to first run. */
  WrongUserContext: 5,
  /** Secrets server unreachable (cached secrets untouched). */
  ServerUnreachable: 6,
  /** Credential rejected by the server (revoked, expired). */
  CredentialRejected: 7,
  /** Server protocol error (malformed, oversized, unexpected). */
  ServerProtocol: 8,
  /** Busy: another instance holds the lock past the timeout. */
  Busy: 9,
  /** Token not in the keyring and no sealed payload to install it from. */
  TokenMissing: 10,
} as const;

/** One of the documented exit codes. */
export type ExitCode = typeof ExitCode[keyof typeof ExitCode];
