/**
 * Every package's tests run with this (vitest.config.ts `setupFiles`). vitest's worker reports test progress
 * to the runner over an RPC with a fixed 60 s timeout that no option reaches; the reply is read only when the
 * worker's event loop gets to its poll phase. Tests that run synchronously one after another (tfjs on wasm,
 * property tests, spawnSync) never let it get there, and on a loaded machine a file of them passed 60 s: the
 * run failed with "Timeout calling onTaskUpdate" although every test passed. A macrotask turn before each test
 * reads the replies, so only a single test of over 60 s could still trip it.
 */
import { beforeEach } from "vitest";

beforeEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
