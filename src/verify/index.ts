// `alexnet-ts/verify`: what the project checks its own backends with, for
// anyone's Backend: the PyTorch golden cases (format in docs/golden-format.md)
// and the seeded forward-and-backward comparison of two backends.

export {
  type CaseResult, type GoldenCase, type GoldenFile, type GoldenTensor, type TensorCheck, type Tolerance,
  GOLDEN_SCHEMA, GOLDEN_TOLERANCE, GoldenFileError, compareTensor, runGoldenCase, runGoldenFile, validateGoldenFile,
} from '../nn/golden.js';
export { COMPARE_LIMIT, LAYER_LIMIT, type CompareRow, compareBackends } from '../nn/compare.js';
