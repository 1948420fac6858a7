/**
 * This package's version, which moves whenever grading does (`grading-version.test.ts` holds it to a digest of
 * graded replies and to package.json). Jobs that grade record it (@ssb/eval's and @ssb/curation's run.json), so a
 * run resumed under another verifier can tell which of its verdicts the other one gave. A constant rather than a
 * read of package.json: it survives bundling, and needs no file lookup from either build.
 */
export const VERIFIER_VERSION = "0.3.0";
