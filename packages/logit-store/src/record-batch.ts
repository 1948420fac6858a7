import { type Data, makeData, RecordBatch, type Schema, Struct } from "apache-arrow";
import { encodeLogitSteps } from "./logit-steps.js";
import type { ColumnBuffers } from "./token-rows.js";

/** A run of consecutive rows that belong to one example. */
export interface ExampleSegment {
  id: string;
  rows: number;
}

const utf8 = new TextEncoder();

/**
 * Builds a record batch over `cols` (rows 0..cols.rows) and the example segments that cover them.
 *
 * Every column, and every list column's child, gets its own Data object over its own buffer. apache-arrow 21's
 * writer emits a corrupt file when two columns share one child Data (apache/arrow-js#315), so nothing here is
 * ever shared or reused between columns; the round-trip tests read the result with a second implementation.
 */
export function buildRecordBatch(
  schema: Schema,
  cols: ColumnBuffers,
  segments: ExampleSegment[],
): RecordBatch {
  const n = cols.rows;
  const k = cols.k;
  const fields = schema.fields;
  const field = (i: number) => fields[i]!;

  // exampleId is Utf8: each example's id bytes repeated once per row.
  const offsets = new Int32Array(n + 1);
  let bytes = 0;
  const encoded = segments.map((s) => utf8.encode(s.id));
  segments.forEach((s, i) => {
    bytes += encoded[i]!.length * s.rows;
  });
  const idBytes = new Uint8Array(bytes);
  let row = 0;
  let at = 0;
  segments.forEach((s, i) => {
    const e = encoded[i]!;
    for (let r = 0; r < s.rows; r++) {
      idBytes.set(e, at);
      at += e.length;
      offsets[++row] = at;
    }
  });

  const listChild = (i: number, values: Int32Array | Float32Array | Uint16Array) => {
    const listType = field(i).type;
    const childType = listType.children[0]!.type;
    const child = makeData({ type: childType, length: n * k, data: values.subarray(0, n * k) });
    return makeData({ type: listType, length: n, child });
  };

  const head = [
    makeData({ type: field(0).type, length: n, valueOffsets: offsets, data: idBytes }),
    makeData({ type: field(1).type, length: n, data: cols.positions.subarray(0, n) }),
    makeData({ type: field(2).type, length: n, data: cols.tokenIds.subarray(0, n) }),
    listChild(3, cols.topkIds),
  ];
  let children: Data[];
  if (field(4).name === "topkLogitMax") {
    // Format 2 float16 layout: the encoder allocates fresh buffers, so nothing is shared with `cols`.
    if (!(cols.topkLogits instanceof Uint16Array))
      throw new Error("internal: steps layout needs float16 rows");
    const { top, steps } = encodeLogitSteps(cols.topkLogits, n, k);
    children = [
      ...head,
      makeData({ type: field(4).type, length: n, data: top }),
      listChild(5, steps),
      makeData({ type: field(6).type, length: n, data: cols.logSumExp.subarray(0, n) }),
    ];
  } else {
    children = [
      ...head,
      listChild(4, cols.topkLogits),
      makeData({ type: field(5).type, length: n, data: cols.logSumExp.subarray(0, n) }),
    ];
  }
  const struct = makeData({ type: new Struct(fields), length: n, children, nullCount: 0 });
  return new RecordBatch(schema, struct);
}
