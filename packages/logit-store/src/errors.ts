/**
 * Every failure this package detects (bad input, mismatched metadata, a corrupt or tampered store) is a
 * LogitStoreError, so callers can tell "the store is wrong" from a programming error.
 */
export class LogitStoreError extends Error {
  override readonly name = "LogitStoreError";
}
