// alexnet-ts: AlexNet (Krizhevsky, Sutskever, Hinton, NIPS 2012) as a
// readable TypeScript reference with a WebGL backend. The public entry:
//
//   import { alexnet, cpuBackend, gpuBackend, imagenetClasses } from 'alexnet-ts';
//   const model = await alexnet({ config: 'paper', weights, backend: 'cpu', partitions: 1, seed: 1 });
//   const logits = await model.forward(x, [8, 3, 227, 227]);
//
// No Node API is imported here (a path given as weights loads node:fs on
// demand), and no GPU code until a GPU backend is asked for. Subpaths:
// alexnet-ts/cpu (the layers), alexnet-ts/gpu (their WebGL twins),
// alexnet-ts/verify (goldens and backend comparison), alexnet-ts/node
// (files: images, datasets). The paper's experiments (EXPERIMENTS,
// runExperiment) run on any ImageDataset split, in Node or a page.

export type { AlexNetOptions, ClassifyOptions, Classification, ConfigName, TrainOnBatchOptions } from './api/options.js';
export { AlexNetModel, alexnet } from './api/model.js';
export { type DisposableBackend, gpuBackend } from './api/backends.js';
export { type DecodeOptions, type LoadedWeights, type WeightsFormat, decodeWeights, sniffWeights } from './api/weights.js';
export { type OnnxNodeSpec, onnxGraph, writeOnnx } from './io/onnx-write.js';
export { DEFAULT_LIMITS, type Limits, limits, setLimits } from './io/limits.js';
export type { Awaitable, AwaitableBackend, AwaitableMethod, Backend, BackendSgdSlot, GradAcc, OpCache, ParamGrads } from './backend.js';
export { type CpuBackendOptions, type CpuTensor, cpuBackend } from './cpu/backend.js';
export { type GemmThreadPool, gemmThreadPool } from './cpu/gemm-threads.js';
export { NonFiniteError } from './cpu/tensor.js';
export type { SgdParams } from './cpu/sgd.js';
export { PAPER_SGD } from './cpu/sgd.js';
export { type Checkpoint, CHECKPOINT_FORMAT, decodeCheckpoint, encodeCheckpoint } from './nn/checkpoint.js';
export {
  type AlexNetConfig, type ConvSpec,
  CONFIGS, MAX_CONV, MAX_FC, fourLayerConfig, paperConfig, scaledPaperConfig, smallConfig, tinyConfig,
  torchvisionConfig, withoutGroups,
} from './nn/config.js';
export { type LayerShape, type LayerSpec, buildLayers, featureLayer, layerShapes, parameterCount, parameterShapes } from './nn/layers.js';
export { type AugmentOptions, type DataStats, averageViews, computeStats, defaultAugment, testBatch, trainingBatch } from './nn/data/augment.js';
export { CIFAR10_CLASSES, FASHION_MNIST_CLASSES, type IdxArray, type ImageDataset, idxDataset, imageAt, parseCifar10, parseIdx, sliceDataset } from './nn/data/dataset.js';
export { IMAGENET_CLASSES as imagenetClasses } from './nn/data/imagenet-classes.js';
export { type ImageBytes, fromRgba, resizeBilinear, shorterSideAndCentreCrop } from './nn/data/image.js';
export { type Preprocessing, type RgbaImage, datasetImageSize, imageInput } from './nn/data/preprocess.js';
export type { MeanImage, Preset } from './nn/data/presets.js';
export { type HostParams, initParams } from './nn/model.js';
export { type Neighbour, datasetFeatures, nearest } from './nn/neighbours.js';
export { type Net, SingleNet } from './nn/net.js';
export { type AnyBackend, PartitionedNet } from './nn/partition.js';
export {
  type BatchProgress, type CheckRecord, type EpochRecord, type TrainOptions, type TrainerState,
  DEFAULT_TRAIN, DIVERGENCE_FACTOR, DivergedError, NonFiniteLossError, evaluate, initialTrainerState, train,
} from './nn/trainer.js';
export { type Budget, EXPERIMENTS, type Experiment, type Metric, type Variant, experimentBase } from './experiments/catalog.js';
export {
  type AblationResult, type ExperimentOptions, type ExperimentResult, type RunResult, epochsTo, resultRows, runExperiment,
} from './experiments/run.js';
export { type Effect, type Verdict, independentEffect, meanSd, pairedEffect } from './experiments/verdict.js';
export { summaryText } from './report/summary.js';
export { VERSION } from './version.js';
