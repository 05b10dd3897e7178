// What the library's model can be asked for: how alexnet() builds one, and
// the options and results of its training step and classification
// (model.ts implements them).

import type { AwaitableBackend } from '../backend.js';
import type { AlexNetConfig } from '../nn/config.js';
import type { Preset } from '../nn/data/presets.js';

/** The names of the built-in configurations. */
export type ConfigName = 'paper' | 'torchvision' | 'caffe' | 'small' | 'small-32' | 'tiny';

/** How to build a model: its configuration, weights, backend, partitions and seed. */
export interface AlexNetOptions {
  /** A built-in configuration or your own; default: the weights' configuration, else 'paper'. */
  config?: ConfigName | AlexNetConfig;
  /**
   * A weights file: a path (Node) or its bytes, of any format alexnet-ts reads (torch.save .pth, .safetensors,
   * .onnx, .caffemodel, an alexnet-ts checkpoint). Default: the paper's initialisation, seeded.
   */
  weights?: string | Uint8Array;
  /** What errors call weights given as bytes (their file name, say); default 'weights'. */
  name?: string;
  /** With weights as bytes: an ONNX model's external data files by their location (file name); a path finds them beside the model. */
  externalData?: Readonly<Record<string, Uint8Array>>;
  /** Caffe's deploy.prototxt, when the caffemodel holds a train_val net: as `weights`, a path (Node) or the file's bytes. */
  prototxt?: string | Uint8Array;
  /** How classify() prepares a photo; default: the convention of the weights' source (torchvision or caffe). */
  preset?: Preset;
  /**
   * With the caffe preset: a mean image to subtract instead of its mean pixel, as Caffe's
   * mean_file; a path (Node) or the bytes of ilsvrc_2012_mean.binaryproto or its .npy ([3, 256, 256], BGR).
   */
  mean?: string | Uint8Array;
  /** 'cpu' (the reference, default), 'cpu-float32-sums' (the CPU with float32 sums, faster), 'cpu-threads' (those sums over every core, the same bits), 'gpu' (WebGL through gpu.js), or a Backend object, synchronous or with methods returning Promises. */
  // Any tensor handle type: the model never looks inside a handle (src/backend.ts).
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  backend?: 'cpu' | 'cpu-float32-sums' | 'cpu-threads' | 'gpu' | AwaitableBackend<any>;
  /** 1 (default) or 2: the paper's two-GPU split over two backend instances. */
  partitions?: 1 | 2;
  /** Seeds the initial weights (when none are given) and the dropout masks of trainOnBatch; default 1. */
  seed?: number;
  /** Class names in label order; default: from the weights, ImageNet's for 1000 classes, Fashion-MNIST's for its checkpoints. */
  classNames?: readonly string[];
}

/** Options of one training step; missing values are the paper's (lr 0.01, momentum 0.9, weight decay 0.0005, section 5). */
export interface TrainOnBatchOptions {
  lr?: number;
  momentum?: number;
  weightDecay?: number;
}

/** Options of classify(). */
export interface ClassifyOptions {
  /** How many classes to return, most probable first; default 5. */
  top?: number;
  /** Average the softmax over the paper's ten views (section 4.1) instead of the centre view. */
  tenCrop?: boolean;
}

/** One class of a classification. */
export interface Classification {
  index: number;
  label: string;
  probability: number;
}
