import {
  type DataType,
  Field,
  FixedSizeList,
  Float16,
  Float32,
  Int32,
  Schema,
  type Schema as SchemaT,
  Uint16,
  Utf8,
} from "apache-arrow";
import { LogitStoreError } from "./errors.js";
import { type LogitSchemaMeta, metaFromArrowMetadata, metaToArrowMetadata } from "./schema-meta.js";

/**
 * How a store lays out its logits. "plain": one `topkLogits` column of float16 or float32 values (float32
 * stores, and float16 stores of format 1). "steps": `topkLogitMax` (Float16, each row's top logit) plus
 * `topkLogitSteps` (FixedSizeList<UInt16>[k], float16 steps between consecutive entries; see logit-steps.ts),
 * float16 stores of format 2 and later.
 */
export type LogitLayout = "plain" | "steps";

export function logitLayout(meta: Pick<LogitSchemaMeta, "dtype" | "formatVersion">): LogitLayout {
  return meta.dtype === "float16" && meta.formatVersion >= 2 ? "steps" : "plain";
}

const PLAIN_COLUMNS = ["exampleId", "position", "tokenId", "topkIds", "topkLogits", "logSumExp"] as const;
const STEPS_COLUMNS = [
  "exampleId",
  "position",
  "tokenId",
  "topkIds",
  "topkLogitMax",
  "topkLogitSteps",
  "logSumExp",
] as const;

export type ColumnName = (typeof PLAIN_COLUMNS)[number] | (typeof STEPS_COLUMNS)[number];

/** Column names, in file order, for a store's layout. */
export function columnNames(meta: Pick<LogitSchemaMeta, "dtype" | "formatVersion">): readonly ColumnName[] {
  return logitLayout(meta) === "steps" ? STEPS_COLUMNS : PLAIN_COLUMNS;
}

function columnTypes(meta: LogitSchemaMeta): DataType[] {
  const list = (type: DataType) => new FixedSizeList(meta.k, new Field("item", type, false));
  const head = [new Utf8(), new Int32(), new Int32(), list(new Int32())];
  if (logitLayout(meta) === "steps") return [...head, new Float16(), list(new Uint16()), new Float32()];
  return [...head, list(meta.dtype === "float16" ? new Float16() : new Float32()), new Float32()];
}

/** The Arrow schema of a shard, carrying the metadata as schema-level key/values. */
export function buildArrowSchema(meta: LogitSchemaMeta): Schema {
  const types = columnTypes(meta);
  const fields = columnNames(meta).map((name, i) => new Field(name, types[i]!, false));
  return new Schema(fields, metaToArrowMetadata(meta));
}

/** Checks a shard's schema: columns, types and metadata. Returns the metadata it carries. */
export function checkArrowSchema(schema: SchemaT, where: string): LogitSchemaMeta {
  const meta = metaFromArrowMetadata(schema.metadata, where);
  const expected = buildArrowSchema(meta);
  const names = schema.fields.map((f) => f.name);
  const want = columnNames(meta);
  if (names.join(",") !== want.join(",")) {
    throw new LogitStoreError(
      `${where}: expected columns [${want.join(", ")}] (format ${meta.formatVersion}, ${meta.dtype}), found [${names.join(", ")}]`,
    );
  }
  schema.fields.forEach((field, i) => {
    const want = expected.fields[i]!.type;
    if (!sameType(field.type, want)) {
      throw new LogitStoreError(`${where}: column "${field.name}" should be ${want}, found ${field.type}`);
    }
  });
  return meta;
}

function sameType(a: DataType, b: DataType): boolean {
  if (a.typeId !== b.typeId || String(a) !== String(b)) return false;
  if (a instanceof FixedSizeList && b instanceof FixedSizeList) {
    return a.listSize === b.listSize && sameType(a.valueType, b.valueType);
  }
  return true;
}
