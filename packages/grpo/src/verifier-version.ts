/**
 * Which @ssb/verifier grades the default reward. Each checkpoint records its version (which moves whenever its
 * grading does), so a resume under another verifier says so: the rewards of the rounds before it were graded
 * by the recorded one. grpo grades through @ssb/curation's verifier grader and does not import @ssb/verifier
 * itself, so the version is that of the verifier curation resolves (the one that grades), read from
 * curation's location.
 */
import { createRequire } from "node:module";

/** VERIFIER_VERSION of the @ssb/verifier that @ssb/curation imports; undefined when it cannot be read. */
export function installedVerifierVersion(): string | undefined {
  try {
    const curation = createRequire(import.meta.url).resolve("@ssb/curation");
    const verifier = createRequire(curation)("@ssb/verifier") as { VERIFIER_VERSION?: unknown };
    return typeof verifier.VERIFIER_VERSION === "string" ? verifier.VERIFIER_VERSION : undefined;
  } catch {
    // An install laid out otherwise: the checkpoint records no version (as one from before they were recorded).
    return undefined;
  }
}
