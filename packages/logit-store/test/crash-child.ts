// Child process for the crash test: writes deterministic examples to a store until it is killed.
// Usage: node --import tsx test/crash-child.ts <dir>
import { openLogitStore, openLogitStoreWriter } from "../src/index.js";
import { CRASH_META, crashExampleRows } from "./crash-examples.js";

const dir = process.argv[2];
if (!dir) throw new Error("usage: crash-child <dir>");

const writer = await openLogitStoreWriter(dir, CRASH_META, { batchBytes: 4096, shardBytes: 48 << 10 });
const stored = (await openLogitStore(dir)).examples();
const index = (id: string) => Number(id.slice(3));
let next = Math.max(-1, ...stored.map(index), ...writer.redo.map(index)) + 1;
const queue = [...writer.redo];
process.stdout.write(`${JSON.stringify({ ready: true, redo: writer.redo })}\n`);

const k = CRASH_META.k;
for (let written = 0; written < 5000; written += 2) {
  // Two examples at a time, tokens interleaved in small chunks like a batched generation loop.
  const ids = [queue.shift() ?? `ex-${next++}`, queue.shift() ?? `ex-${next++}`];
  const rows = ids.map((id) => crashExampleRows(index(id)));
  const done = [0, 0];
  while (done[0]! < rows[0]!.tokenIds.length || done[1]! < rows[1]!.tokenIds.length) {
    for (let e = 0; e < 2; e++) {
      const r = rows[e]!;
      const from = done[e]!;
      const to = Math.min(r.tokenIds.length, from + 1 + (from % 4));
      if (from >= to) continue;
      writer.append(ids[e]!, {
        positions: r.positions.subarray(from, to),
        tokenIds: r.tokenIds.subarray(from, to),
        topkIds: r.topkIds.subarray(from * k, to * k),
        topkLogits: r.topkLogits.subarray(from * k, to * k),
        logSumExp: r.logSumExp.subarray(from, to),
      });
      done[e] = to;
    }
  }
  writer.commitExample(ids[1]!);
  writer.commitExample(ids[0]!);
  await new Promise((resolve) => setTimeout(resolve, 1));
}
await writer.close();
