export {
  type ExampleLanguage,
  parseReadmeExamples,
  type ReadmeExample,
  readmeExamples,
} from "./readme-blocks.js";
export { type ReadmeTestOptions, testReadmeExamples } from "./readme-tests.js";
export { type ExampleRun, packedFiles, type RunExampleOptions, runReadmeExample } from "./run-example.js";
