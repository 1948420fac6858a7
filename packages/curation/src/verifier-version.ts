/**
 * Which @ssb/verifier grades here, and what a resume under another one is told. run.json records the version
 * (its version moves whenever its grading changes), so a curation resumed after the verifier changed its rules
 * says how many of the folder's problems the older one decided: those keep their decisions (curation does not
 * regrade a finished problem), and only a fresh output folder grades everything with one verifier.
 */
import { VERIFIER_VERSION } from "@ssb/verifier";

/**
 * The version of the @ssb/verifier this package imports: its VERIFIER_VERSION, which moves whenever its grading
 * does.
 */
export function installedVerifierVersion(): string {
  return VERIFIER_VERSION;
}

/** run.json's record of the verifiers that decided the folder's problems (top level, beside `settings`). */
export interface VerifierVersions {
  /** The version that decides the problems added from the latest start on. */
  verifierVersion: string;
  /**
   * Problems decided by earlier versions, written only once a resume ran under another version than the one
   * recorded: how many problems each had decided when it was replaced.
   */
  decidedByVerifierVersion?: Record<string, number>;
}

/** What a resume under `installed` learns from run.json's record, given how many problems the folder holds. */
export interface VerifierVersionCheck {
  /** Problems decided by each other version than `installed` (counts > 0 only); empty when there are none. */
  others: Record<string, number>;
  /** run.json's new record, or null when it stays as it is. */
  next: VerifierVersions | null;
}

/**
 * Splits the folder's `decided` problems by the verifier that decided them: those counted under earlier
 * versions, and the rest by the recorded one. A run.json without a recorded version (written before versions
 * were recorded, or by a build that could not read it) and an unreadable installed version say nothing.
 */
export function checkVerifierVersion(
  recorded: unknown,
  earlier: unknown,
  installed: string | undefined,
  decided: number,
): VerifierVersionCheck {
  if (typeof recorded !== "string" || installed === undefined) return { others: {}, next: null };
  const counts: Record<string, number> = {};
  if (typeof earlier === "object" && earlier !== null && !Array.isArray(earlier)) {
    for (const [version, n] of Object.entries(earlier))
      if (typeof n === "number" && Number.isSafeInteger(n) && n > 0) counts[version] = n;
  }
  const before = Object.values(counts).reduce((a, b) => a + b, 0);
  counts[recorded] = (counts[recorded] ?? 0) + Math.max(0, decided - before);
  const others = Object.fromEntries(
    Object.entries(counts).filter(([version, n]) => version !== installed && n > 0),
  );
  if (recorded === installed) return { others, next: null };
  // The installed version decides what this run adds; the recorded one's problems join the earlier counts.
  const kept = Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
  return {
    others,
    next: {
      verifierVersion: installed,
      ...(Object.keys(kept).length > 0 ? { decidedByVerifierVersion: kept } : {}),
    },
  };
}

/** The one-line note for a resume under another verifier than some of the folder's problems were decided by. */
export function verifierVersionNote(
  outDir: string,
  others: Record<string, number>,
  installed: string,
): string {
  const parts = Object.entries(others).map(
    ([version, n]) => `${n} ${n === 1 ? "problem was" : "problems were"} decided by @ssb/verifier ${version}`,
  );
  return (
    `${outDir}: ${parts.join(", ")}, and this run grades with @ssb/verifier ${installed}, whose grading differs; ` +
    "those problems keep their earlier decisions, and a fresh output folder (--out) regrades everything"
  );
}
