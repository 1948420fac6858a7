/**
 * One bench engine in a process of its own (forked by engine-host.ts): loads the engine named in its first
 * message, then answers each sample request with its timing. Engines in one process slowed each other
 * (garbage, idle thread pools; rollout README), which no user running one of them sees.
 */
import { type Engine, type EngineSpec, loadEngine, type SampleRequest } from "./engines.js";

export type WorkerRequest =
  | { type: "load"; spec: EngineSpec }
  | { type: "sample"; request: SampleRequest }
  | { type: "close" };

export type WorkerReply =
  | { type: "ready"; vocab: number }
  | { type: "result"; tokens: number; seconds: number }
  | { type: "error"; message: string }
  | { type: "closed" };

let engine: Engine | null = null;

function reply(message: WorkerReply): void {
  process.send?.(message);
}

// The bench went away (finished, killed): nothing left to time.
process.on("disconnect", () => process.exit(0));

process.on("message", (message: WorkerRequest) => {
  const handle = async (): Promise<void> => {
    if (message.type === "load") {
      engine = await loadEngine(message.spec);
      reply({ type: "ready", vocab: engine.vocab });
    } else if (message.type === "sample") {
      if (!engine) throw new Error("sample before load");
      reply({ type: "result", ...(await engine.sample(message.request)) });
    } else {
      await engine?.close();
      reply({ type: "closed" });
    }
  };
  handle().catch((e: unknown) =>
    reply({ type: "error", message: e instanceof Error ? e.message : String(e) }),
  );
});
