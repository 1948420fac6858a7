import path from "node:path";
import { testReadmeExamples } from "@ssb/readme-examples";

// The README's runnable examples, run against the built package as a user who installed it would.
testReadmeExamples(path.resolve(import.meta.dirname, ".."));
