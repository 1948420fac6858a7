/**
 * Binary files people hand to a JSON Lines reader: a dataset as Parquet (the Hub's format) or as Arrow (the
 * `datasets` cache, a logit store's shards), or a compressed JSONL. Read as UTF-8 their first line is noise,
 * and the refusals it got were wrong about the cause: an Arrow stream's NUL bytes were called UTF-16, with an
 * iconv command that would garble it further, a Parquet file "not valid JSON (Unexpected token 'P')". Each is
 * named by its first bytes (as decoded from UTF-8: bytes that are not UTF-8 read as U+FFFD), with the command
 * that turns it into JSON Lines.
 */

interface BinaryFormat {
  /** The first line starts with this. */
  magic: string;
  what: string;
  convert: (file: string) => string;
}

/** Rows as JSON Lines with pyarrow alone (what reads all three formats; pandas and datasets need it too). */
const pyarrowToJsonl = (read: string, file: string): string =>
  `python -c "import json, pyarrow.ipc, pyarrow.parquet; print('\\n'.join(json.dumps(r) for r in ${read}('${file}')${read.endsWith("read_table") ? "" : ".read_all()"}.to_pylist()))" > ${file}.jsonl`;

const FORMATS: readonly BinaryFormat[] = [
  {
    magic: "PAR1",
    what: "a Parquet file",
    convert: (f) => pyarrowToJsonl("pyarrow.parquet.read_table", f),
  },
  {
    magic: "ARROW1",
    what: "an Arrow IPC file (Feather; a logit store's shards are such files)",
    convert: (f) => pyarrowToJsonl("pyarrow.ipc.open_file", f),
  },
  {
    // The IPC stream format's continuation marker, 0xFFFFFFFF: four bytes that are not UTF-8.
    magic: "\uFFFD\uFFFD\uFFFD\uFFFD",
    what: "an Arrow IPC stream (the format of Hugging Face datasets' cache files)",
    convert: (f) => pyarrowToJsonl("pyarrow.ipc.open_stream", f),
  },
  { magic: "\u001F\uFFFD", what: "a gzip-compressed file", convert: (f) => `gunzip -k ${f}` },
  { magic: "(\uFFFD/\uFFFD", what: "a zstd-compressed file", convert: (f) => `zstd -d ${f}` },
  { magic: "PK\u0003\u0004", what: "a zip archive", convert: (f) => `unzip ${f}` },
];

/**
 * Why the input is a binary file and how to convert it, judged by its first line (decoded from UTF-8, a
 * byte-order mark already removed), or null when it is not one of these formats. `source` names the file
 * (`<stdin>` gets FILE in the command).
 */
export function binaryInputRefusal(firstLine: string, source: string): string | null {
  const format = FORMATS.find((f) => firstLine.startsWith(f.magic));
  if (format === undefined) return null;
  const file = source === "<stdin>" ? "FILE" : source;
  return `${source}: ${format.what}, not JSON Lines (one JSON object per line); convert it first: ${format.convert(file)}`;
}
