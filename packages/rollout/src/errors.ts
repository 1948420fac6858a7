/** Errors this package raises on bad input or an unusable model; messages name the file, field or flag. */
export class RolloutError extends Error {
  override name = "RolloutError";
}
