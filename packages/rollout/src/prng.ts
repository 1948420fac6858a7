/**
 * Counter-based random numbers: the draw for step t of stream s is a pure hash of (seed, s, t), so a
 * sample's random numbers do not depend on which other sequences share its batch, in what order problems
 * arrive, or whether the job was interrupted and resumed. Streams are keyed by (problem id, sample index).
 */

/** A 32-bit integer hash with good avalanche (Wellons' "lowbias32" constants). */
export function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over UTF-16 code units, then mixed: a stable 32-bit hash of a string. */
export function hashString(text: string, salt = 0): number {
  let h = (0x811c9dc5 ^ salt) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}

/** Two 32-bit words that name one random stream. */
export interface StreamKey {
  k0: number;
  k1: number;
}

/** The stream of sample `sampleIndex` of problem `problemId` under `seed` (an integer up to 2^53). */
export function streamKey(seed: number, problemId: string, sampleIndex: number): StreamKey {
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 2 ** 32) >>> 0;
  const k0 = mix32(hashString(problemId, lo) ^ mix32(sampleIndex + 0x9e3779b9));
  const k1 = mix32(hashString(problemId, ~hi) ^ mix32(lo ^ Math.imul(sampleIndex, 0x85ebca6b)) ^ hi);
  return { k0, k1 };
}

/** The uniform draw in [0, 1) with 53 random bits for step `counter` of a stream. */
export function uniformAt(key: StreamKey, counter: number): number {
  const c = counter >>> 0;
  const a = mix32(key.k0 ^ mix32(Math.imul(c, 2) ^ key.k1));
  const b = mix32(key.k1 ^ mix32((Math.imul(c, 2) + 1) ^ key.k0) ^ a);
  return ((a >>> 5) * 67108864 + (b >>> 6)) / 9007199254740992;
}
