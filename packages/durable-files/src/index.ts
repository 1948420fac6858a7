export { fsyncDir, writeFileAtomic } from "./atomic-write.js";
export { parseJsonFile, parseJsonObjectFile, readJsonFile, stripBom } from "./json-file.js";
export { acquirePidLock, LockError } from "./pid-lock.js";
