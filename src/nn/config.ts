// AlexNet configurations (paper, section 3.5 and Figure 2).
//
// A configuration names the widths and hyper-parameters; buildLayers()
// (layers.ts) turns it into the paper's topology:
//   conv1 relu1 norm1 pool1 | conv2 relu2 norm2 pool2 | conv3 relu3 | conv4 relu4 |
//   conv5 relu5 pool5 | flatten | fc6 relu6 drop6 | fc7 relu7 drop7 | fc8
// (dropout after the ReLU of fc6 and fc7, as the paper places it; torchvision
// puts it before fc6 and fc7 instead). The model, the summary and the
// checkpoint code all walk this one list.
//
// `partitions: 2` is the paper's two-GPU layout (section 3.2): besides the
// groups of conv2, conv4 and conv5, each GPU normalised (LRN) only its own
// half of the channels, so norm1 and norm2 get two channel groups. Such a
// net can run on one backend or split over two (src/nn/partition.ts) with
// the same result. `partitions: 1` is the one-GPU net of Caffe and PyTorch.

import type { DropoutMode } from '../cpu/dropout.js';
import { type LrnParams, PAPER_LRN } from '../cpu/lrn.js';
import { type MaxPoolParams, PAPER_POOL } from '../cpu/maxpool.js';
import { fmtShape } from '../cpu/tensor.js';

/** One convolution layer of the configuration. */
export interface ConvSpec {
  readonly out: number;
  readonly kernel: number;
  readonly stride: number;
  readonly pad: number;
  readonly groups: number;
}

/** Everything that defines an AlexNet-shaped network. */
export interface AlexNetConfig {
  readonly name: string;
  readonly inputChannels: number;
  readonly inputSize: number;
  /**
   * conv1 .. conv5 in the paper (1 to MAX_CONV layers: Figure 1's four-layer
   * net has three, then its classifier). Pooling follows the first two and
   * the last; LRN the first two.
   */
  readonly conv: readonly ConvSpec[];
  /** LRN after the ReLUs of conv1 and conv2, or null for none. */
  readonly lrn: LrnParams | null;
  /** The max pooling after norm1, norm2 and the last conv (conv5). */
  readonly pool: MaxPoolParams;
  /** pool1, pool2 and pool5 when they differ (an imported graph padded at one size only, as the ONNX zoo's pool5); else `pool` for all three. */
  readonly pools?: readonly [MaxPoolParams, MaxPoolParams, MaxPoolParams];
  /** Widths of the hidden fully connected layers: fc6 and fc7 in the paper (0 to MAX_FC of them). */
  readonly fc: readonly number[];
  readonly classes: number;
  /** Dropout on the outputs of fc6 and fc7 while training (rate 0.5 in the paper). */
  readonly dropout: { readonly rate: number; readonly mode: DropoutMode };
  /** Initial bias of conv2, conv4, conv5, fc6, fc7 (paper: 1; Caffe's recipe: 0.1). Others start at 0. */
  readonly biasOne: number;
  /** Standard deviation of the initial weights (paper: 0.01), or 'he' for sqrt(2 / fan_in) per layer. */
  readonly initStd: number | 'he';
  /** The non-linearity after every conv and hidden FC layer (paper: ReLU; tanh for Figure 1's comparison). */
  readonly activation: 'relu' | 'tanh';
  /** Dropout after the activation of fc6 and fc7 (paper) or before fc6 and fc7 (torchvision). */
  readonly dropoutPlacement: 'after' | 'before';
  /** 2: the paper's two-GPU layout (LRN within each half of the channels); 1: one GPU. */
  readonly partitions: 1 | 2;
}

/** The most conv layers a configuration may have (checkpoint headers are checked against this and MAX_FC). */
export const MAX_CONV = 16;
/** The most hidden FC layers a configuration may have (see MAX_CONV). */
export const MAX_FC = 8;

/** The paper's network on 227 x 227 x 3 input with 1000 classes (../shared/alexnet-paper.md). */
export function paperConfig(): AlexNetConfig {
  return {
    name: 'paper',
    inputChannels: 3,
    inputSize: 227,
    conv: [
      { out: 96, kernel: 11, stride: 4, pad: 0, groups: 1 },
      { out: 256, kernel: 5, stride: 1, pad: 2, groups: 2 },
      { out: 384, kernel: 3, stride: 1, pad: 1, groups: 1 },
      { out: 384, kernel: 3, stride: 1, pad: 1, groups: 2 },
      { out: 256, kernel: 3, stride: 1, pad: 1, groups: 2 },
    ],
    lrn: PAPER_LRN,
    pool: PAPER_POOL,
    fc: [4096, 4096],
    classes: 1000,
    dropout: { rate: 0.5, mode: 'paper' },
    biasOne: 1,
    initStd: 0.01,
    activation: 'relu',
    dropoutPlacement: 'after',
    partitions: 2,
  };
}

/**
 * torchvision's AlexNet (the 2014 "one weird trick" variant), so weights in
 * that layout can be used: 64-192-384-256-256 kernels, conv1 11 x 11 stride 4
 * pad 2 on 224 x 224, no LRN, no groups, dropout (inverted) before fc6 and
 * fc7: 61,100,840 parameters. torchvision's adaptive average pooling to 6 x 6
 * is the identity at 224 (pool5 is already 6 x 6), the only size accepted.
 */
export function torchvisionConfig(): AlexNetConfig {
  return {
    ...paperConfig(),
    name: 'torchvision',
    inputSize: 224,
    conv: [
      { out: 64, kernel: 11, stride: 4, pad: 2, groups: 1 },
      { out: 192, kernel: 5, stride: 1, pad: 2, groups: 1 },
      { out: 384, kernel: 3, stride: 1, pad: 1, groups: 1 },
      { out: 256, kernel: 3, stride: 1, pad: 1, groups: 1 },
      { out: 256, kernel: 3, stride: 1, pad: 1, groups: 1 },
    ],
    lrn: null,
    dropout: { rate: 0.5, mode: 'inverted' },
    dropoutPlacement: 'before',
    partitions: 1,
    biasOne: 0,
  };
}

/**
 * Caffe's bvlc_alexnet (models/bvlc_alexnet/deploy.prototxt): the paper's
 * topology on one GPU (groups 2 in conv2, conv4, conv5; LRN over all 96 and
 * 256 channels), LRN as Caffe computes it (k = 1, alpha divided by n),
 * pooling rounded up (equal to floor at 227), inverted dropout after the
 * ReLUs of fc6 and fc7. The ONNX model zoo's bvlcalexnet carries the same weights.
 */
export function caffeConfig(): AlexNetConfig {
  return {
    ...paperConfig(), name: 'caffe', partitions: 1,
    lrn: { size: 5, alpha: 1e-4, beta: 0.75, k: 1, convention: 'alpha/n' },
    pool: { kernel: 3, stride: 2, pad: 0, ceil: true },
    dropout: { rate: 0.5, mode: 'inverted' },
  };
}

/**
 * The paper's topology for 28 x 28 (Fashion-MNIST, MNIST) or 32 x 32
 * (CIFAR-10) images: 5 conv layers (5 x 5 stride 1 for conv1 and conv2, 3 x 3
 * for conv3-5), LRN after conv1 and conv2, overlapping 3 x 3 stride-2
 * pooling, dropout on fc6 and fc7, groups 2 on conv2, conv4 and conv5, two
 * partitions. Widths are chosen so that an epoch of Fashion-MNIST takes
 * minutes on two CPU cores (2.5 M multiply-adds per image forward; `alexnet summary --config small`).
 */
export function smallConfig(o: { inputSize?: number; inputChannels?: number; classes?: number } = {}): AlexNetConfig {
  return {
    ...paperConfig(),
    name: 'small',
    inputSize: o.inputSize ?? 28,
    inputChannels: o.inputChannels ?? 1,
    classes: o.classes ?? 10,
    conv: [
      { out: 16, kernel: 5, stride: 1, pad: 2, groups: 1 },
      { out: 32, kernel: 5, stride: 1, pad: 2, groups: 2 },
      { out: 48, kernel: 3, stride: 1, pad: 1, groups: 1 },
      { out: 48, kernel: 3, stride: 1, pad: 1, groups: 2 },
      { out: 32, kernel: 3, stride: 1, pad: 1, groups: 2 },
    ],
    // fc6 and fc7 of 256 with dropout 0.3 rather than the paper's 0.5: on 128 or 256 units, 0.5 holds the
    // loss near ln 10 for the first hundred steps and costs 3 points after an epoch (measured: mean loss over
    // steps 50-60 at batch 32 1.99 for 128 units at 0.5, 1.48 for 256 at 0.3; validation after one epoch of
    // Fashion-MNIST 77.0 % and 79.8 %). The paper's 4096-unit layers carry 0.5; these carry a tenth of the signal.
    fc: [256, 256],
    dropout: { rate: 0.3, mode: 'paper' },
    // The paper's N(0, 0.01^2) and biases of 1 stall this narrow net at chance (measured: 10 % after an epoch
    // of Fashion-MNIST), as their activations shrink layer after layer: He's sqrt(2 / fan_in) and 0.1 train.
    initStd: 'he',
    biasOne: 0.1,
  };
}

/**
 * Figure 1's "four-layer convolutional neural network" (section 3.1): three
 * conv layers and the classifier, in the shape of the CIFAR-10 net of the
 * authors' cuda-convnet (layers-80sec.cfg): 32, 32 and 64 kernels of 5 x 5
 * (pad 2), each followed by its ReLU (or tanh) and 3 x 3 stride-2 pooling
 * (max throughout: the project has no average pooling), then one FC layer to
 * the classes. No LRN, groups or dropout: the figure used no regularisation.
 */
export function fourLayerConfig(o: { inputSize?: number; inputChannels?: number; classes?: number } = {}): AlexNetConfig {
  const conv = (out: number): ConvSpec => ({ out, kernel: 5, stride: 1, pad: 2, groups: 1 });
  return {
    ...paperConfig(),
    name: 'four-layer',
    inputSize: o.inputSize ?? 28,
    inputChannels: o.inputChannels ?? 1,
    classes: o.classes ?? 10,
    conv: [conv(32), conv(32), conv(64)],
    lrn: null,
    fc: [],
    dropout: { rate: 0, mode: 'paper' },
    initStd: 'he',
    biasOne: 0,
    partitions: 1,
  };
}

/** The paper's topology with other widths: channels of conv1..conv5, fc6/fc7 widths, classes, input size. */
export function scaledPaperConfig(o: {
  name: string; channels: readonly number[]; fc: readonly number[]; classes: number; inputSize: number; inputChannels?: number;
  partitions?: 1 | 2;
}): AlexNetConfig {
  const base = paperConfig();
  if (o.channels.length !== 5) throw new RangeError(`scaledPaperConfig: channels must list 5 conv widths, got ${fmtShape(o.channels)}`);
  if (o.fc.length !== 2) throw new RangeError(`scaledPaperConfig: fc must list 2 widths (fc6, fc7), got ${fmtShape(o.fc)}`);
  const conv = base.conv.map((c, i) => ({ ...c, out: o.channels[i] }));
  return {
    ...base, name: o.name, conv, fc: [o.fc[0], o.fc[1]], classes: o.classes, inputSize: o.inputSize,
    inputChannels: o.inputChannels ?? base.inputChannels, partitions: o.partitions ?? 1,
  };
}

/** The same configuration with groups = 1 everywhere (one partition's connectivity). */
export function withoutGroups(c: AlexNetConfig): AlexNetConfig {
  return { ...c, name: `${c.name}-nogroups`, conv: c.conv.map((s) => ({ ...s, groups: 1 })) };
}

/** The paper's topology at toy widths on 67 x 67 input (the whole-model golden's net): for quick checks. */
export function tinyConfig(): AlexNetConfig {
  return scaledPaperConfig({ name: 'tiny', channels: [8, 16, 24, 24, 16], fc: [32, 32], classes: 10, inputSize: 67 });
}

/** Configurations by name, for the command line. */
export const CONFIGS: Record<string, () => AlexNetConfig> = {
  paper: paperConfig,
  torchvision: torchvisionConfig,
  caffe: caffeConfig,
  small: () => smallConfig(),
  'small-32': () => smallConfig({ inputSize: 32, inputChannels: 3 }),
  'four-layer': () => fourLayerConfig(),
  tiny: tinyConfig,
};
