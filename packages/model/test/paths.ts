import path from "node:path";
import { fileURLToPath } from "node:url";

/** Repository root (/work/main in CI); fixtures live beside it in ../shared, read only by tests. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const sharedFixtures = path.resolve(repoRoot, "../shared/fixtures");
export const tinyRefDir = path.join(sharedFixtures, "qwen2-tiny-ref");
export const dataDir = path.join(repoRoot, "data");
