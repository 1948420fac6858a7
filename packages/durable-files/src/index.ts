export { fsyncDir, fsyncTree, writeFileAtomic } from "./atomic-write.js";
export {
  isUnsafeInteger,
  type UnsafeInteger,
  unsafeIntegerError,
  unsafeIntegerLiterals,
} from "./exact-integers.js";
export { fieldRenameHint, type WantedFields } from "./field-names.js";
export { parseJsonFile, parseJsonObjectFile, readJsonFile, stripBom } from "./json-file.js";
export {
  emptyJsonlScan,
  type JsonlRecord,
  type JsonlScan,
  type JsonlTornTail,
  readJsonlFile,
  repairJsonlFile,
  repairJsonlTail,
  type ScanJsonlOptions,
  scanJsonl,
} from "./jsonl-file.js";
export { type JsonlLineOptions, parseJsonlLine, textFileLines } from "./jsonl-line.js";
export { MAX_LINE_CHARS, splitLines } from "./line-splitter.js";
export {
  type ClaimOutputFolderOptions,
  checkOutputPath,
  claimOutputFolder,
  makeFolders,
  removeEmptyFolders,
} from "./output-folder.js";
export { acquirePidLock, LockError } from "./pid-lock.js";
export { looksLikeUtf16, utf16Error } from "./text-encoding.js";
