/**
 * The one tfjs binding every module here uses: types from @tensorflow/tfjs-core, so our emitted .d.ts never
 * name the @tensorflow/tfjs umbrella (whose webgl/layers declarations break consumers that typecheck with
 * `skipLibCheck: false`), and the umbrella loaded at run time for its side effects (gradients, chained ops,
 * cpu backend). See @ssb/distill's src/tf.ts for the details.
 */
import "@tensorflow/tfjs";
import * as tf from "@tensorflow/tfjs-core";

export { tf };
