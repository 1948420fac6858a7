/**
 * The one tfjs binding every module here uses. Its *types* come from @tensorflow/tfjs-core, so our emitted
 * .d.ts name only tfjs-core: the @tensorflow/tfjs umbrella's declarations also bring in the webgl backend
 * (needs the DOM lib), layers (fails under `strict`), converter and data, which broke consumers that
 * typecheck with `skipLibCheck: false` (consumer-types.test.ts).
 *
 * At run time we still load the umbrella, for its side effects only: its Node bundle is what registers the
 * gradients (tf.variableGrads), the chained tensor ops and the cpu backend; tfjs-core's Node entry registers
 * none of them, and its ESM files that would cannot be loaded by Node. Both packages are pinned to the same
 * version, so the umbrella's tfjs-core is this one: one engine, which wasm and tfjs-node register into too.
 */
import "@tensorflow/tfjs";
import * as tf from "@tensorflow/tfjs-core";

export { tf };
