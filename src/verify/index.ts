// `alexnet-ts/verify`: what the project checks its own backends with, for
// anyone's Backend: the PyTorch golden cases (format in docs/golden-format.md),
// the seeded forward-and-backward comparison of two backends, and the op
// properties of verifyBackend (kit.ts), for any Backend, synchronous or not.

export {
  type CaseResult, type GoldenCase, type GoldenFile, type GoldenTensor, type TensorCheck, type Tolerance,
  GOLDEN_SCHEMA, GOLDEN_TOLERANCE, GoldenFileError, compareTensor, validateGoldenFile,
} from '../nn/golden-format.js';
export { runGoldenCase, runGoldenFile } from '../nn/golden.js';
export { COMPARE_LIMIT, LAYER_LIMIT, type CompareRow, compareBackends } from '../nn/compare.js';
export { type GoldenReport, type KitReport, type Mismatch, type ModelReport, type OpReport, type VerifyOptions, UnsupportedCaseError, compareOutputs, verifyBackend } from './kit.js';
export { type FullBackend, OP_CHECKS, type OpCheck, type Outputs } from './ops.js';
export type { HostTensor } from '../io/tensors.js';
export { type Float64Transfers, GRADIENT_TOLERANCE, GRAD_CHECKS, type GradCheck, type GradientReport, checkGradients, hasFloat64 } from './gradients.js';
export type { AsyncBackend, AwaitableBackend, BackendOp } from '../backend.js';
