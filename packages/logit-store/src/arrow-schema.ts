import {
  type DataType,
  Field,
  FixedSizeList,
  Float16,
  Float32,
  Int32,
  Schema,
  type Schema as SchemaT,
  Utf8,
} from "apache-arrow";
import { LogitStoreError } from "./errors.js";
import { type LogitSchemaMeta, metaFromArrowMetadata, metaToArrowMetadata } from "./schema-meta.js";

/** Column names, in file order. */
export const COLUMNS = ["exampleId", "position", "tokenId", "topkIds", "topkLogits", "logSumExp"] as const;

function columnTypes(meta: LogitSchemaMeta): DataType[] {
  const logit = meta.dtype === "float16" ? new Float16() : new Float32();
  return [
    new Utf8(),
    new Int32(),
    new Int32(),
    new FixedSizeList(meta.k, new Field("item", new Int32(), false)),
    new FixedSizeList(meta.k, new Field("item", logit, false)),
    new Float32(),
  ];
}

/** The Arrow schema of a shard, carrying the metadata as schema-level key/values. */
export function buildArrowSchema(meta: LogitSchemaMeta): Schema {
  const types = columnTypes(meta);
  const fields = COLUMNS.map((name, i) => new Field(name, types[i]!, false));
  return new Schema(fields, metaToArrowMetadata(meta));
}

/** Checks a shard's schema: columns, types and metadata. Returns the metadata it carries. */
export function checkArrowSchema(schema: SchemaT, where: string): LogitSchemaMeta {
  const meta = metaFromArrowMetadata(schema.metadata, where);
  const expected = buildArrowSchema(meta);
  const names = schema.fields.map((f) => f.name);
  if (names.join(",") !== COLUMNS.join(",")) {
    throw new LogitStoreError(
      `${where}: expected columns [${COLUMNS.join(", ")}], found [${names.join(", ")}]`,
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
