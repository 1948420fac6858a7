/**
 * Bench engines behind one interface, in a child process each (the default) or in the bench's own process
 * (`--in-process`, how the bench ran before). The bench asks one engine at a time, so isolated engines run
 * alone on the machine while the others wait idle.
 */
import { type ChildProcess, fork } from "node:child_process";
import path from "node:path";
import type { WorkerReply, WorkerRequest } from "./engine-worker.js";
import {
  type Engine,
  type EngineSpec,
  loadEngine,
  type SampleRequest,
  type SampleResult,
} from "./engines.js";

/** An engine running in a child process; one request at a time. */
class IsolatedEngine implements Engine {
  vocab = 0;
  private constructor(private readonly child: ChildProcess) {}

  static async start(spec: EngineSpec): Promise<IsolatedEngine> {
    // The child runs under the same loader as this process (tsx), so it can import the TypeScript sources.
    const child = fork(path.join(import.meta.dirname, "engine-worker.ts"), [], {
      execArgv: process.execArgv,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const engine = new IsolatedEngine(child);
    try {
      const ready = await engine.ask({ type: "load", spec });
      if (ready.type !== "ready") throw new Error(`unexpected reply ${ready.type}`);
      engine.vocab = ready.vocab;
      return engine;
    } catch (e) {
      child.kill();
      throw e;
    }
  }

  private ask(request: WorkerRequest): Promise<WorkerReply> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`bench engine process exited (code ${code})`));
      this.child.once("exit", onExit);
      this.child.once("message", (reply: WorkerReply) => {
        this.child.off("exit", onExit);
        if (reply.type === "error") reject(new Error(reply.message));
        else resolve(reply);
      });
      this.child.send(request);
    });
  }

  async sample(request: SampleRequest): Promise<SampleResult> {
    const reply = await this.ask({ type: "sample", request });
    if (reply.type !== "result") throw new Error(`unexpected reply ${reply.type}`);
    return { tokens: reply.tokens, seconds: reply.seconds };
  }

  async close(): Promise<void> {
    if (!this.child.connected) return;
    await this.ask({ type: "close" });
    this.child.disconnect(); // the worker exits when its channel closes
  }
}

export function startEngine(spec: EngineSpec, isolated: boolean): Promise<Engine> {
  return isolated ? IsolatedEngine.start(spec) : loadEngine(spec);
}
