// AlexNet configurations and the layer list they build (paper, section 3.5 and Figure 2).
//
// A configuration names the widths and hyper-parameters; buildLayers() turns
// it into the paper's topology:
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
import { type MaxPoolParams, PAPER_POOL, poolOutputSize } from '../cpu/maxpool.js';
import { convOutputSize } from '../cpu/conv2d.js';
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

/** The most conv layers, and hidden FC layers, a configuration may have (checkpoint headers are checked against these). */
export const MAX_CONV = 16;
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

/** A layer of the built network, in forward order. */
export type LayerSpec =
  | { kind: 'conv'; name: string; spec: ConvSpec; inChannels: number; bias: number }
  | { kind: 'relu'; name: string }
  | { kind: 'tanh'; name: string }
  | { kind: 'lrn'; name: string; params: LrnParams }
  | { kind: 'maxpool'; name: string; params: MaxPoolParams }
  | { kind: 'flatten'; name: string }
  | { kind: 'dropout'; name: string; rate: number; mode: DropoutMode }
  | { kind: 'linear'; name: string; inFeatures: number; outFeatures: number; bias: number };

/** A layer with the shape it produces for one image ([C, H, W] or [features]), its parameter count and forward multiply-adds per image. */
export interface LayerShape {
  layer: LayerSpec;
  outShape: number[];
  params: number;
  macs: number;
}

/** The configuration's layer list, checked so that every layer fits its input. */
export function buildLayers(c: AlexNetConfig): LayerSpec[] {
  return layerShapes(c).map((s) => s.layer);
}

/** Every layer with its per-image output shape and parameter count (what `alexnet summary` prints). */
export function layerShapes(c: AlexNetConfig): LayerShape[] {
  const out: LayerShape[] = [];
  let shape = [c.inputChannels, c.inputSize, c.inputSize];
  const push = (layer: LayerSpec, s: number[], params = 0) => {
    // Multiply-adds of a conv or linear layer: one per weight per output position.
    const macs = layer.kind === 'conv' ? (params - s[0]) * s[1] * s[2] : layer.kind === 'linear' ? params - s[0] : 0;
    out.push({ layer, outShape: s, params, macs });
    shape = s;
  };
  // Biases that start at biasOne (section 5): conv2, conv4, conv5, and the hidden FC layers below.
  const biasOne = new Set(['conv2', 'conv4', 'conv5']);
  const act = (i: number): LayerSpec => ({ kind: c.activation, name: `${c.activation}${i}` });
  if (c.partitions !== 1 && c.partitions !== 2) throw new RangeError(`${c.name}: partitions must be 1 or 2, got ${c.partitions}`);
  if (c.conv.length < 1 || c.conv.length > MAX_CONV) throw new RangeError(`${c.name}: needs 1 to ${MAX_CONV} conv layers, got ${c.conv.length}`);
  if (c.fc.length > MAX_FC) throw new RangeError(`${c.name}: at most ${MAX_FC} hidden FC layers, got ${c.fc.length}`);
  const last = c.conv.length - 1;
  c.conv.forEach((spec, i) => {
    const name = `conv${i + 1}`;
    const [C, H, W] = shape;
    if (C % spec.groups !== 0 || spec.out % spec.groups !== 0) {
      throw new RangeError(`${c.name}: ${name} has groups = ${spec.groups}, which must divide its ${C} input and ${spec.out} output channels`);
    }
    if (c.partitions === 2 && (spec.out % 2 !== 0 || (spec.groups !== 1 && spec.groups !== 2))) {
      throw new RangeError(`${c.name}: two partitions need an even number of ${name} kernels and groups 1 or 2, got ${spec.out} and ${spec.groups}`);
    }
    const Ho = convOutputSize(H, spec.kernel, spec.stride, spec.pad), Wo = convOutputSize(W, spec.kernel, spec.stride, spec.pad);
    if (Ho < 1 || Wo < 1) throw new RangeError(`${c.name}: ${name} (kernel ${spec.kernel}) does not fit its input ${fmtShape(shape)}`);
    const params = spec.out * (C / spec.groups) * spec.kernel * spec.kernel + spec.out;
    push({ kind: 'conv', name, spec, inChannels: C, bias: biasOne.has(name) ? c.biasOne : 0 }, [spec.out, Ho, Wo], params);
    push(act(i + 1), shape);
    if (i < 2 && c.lrn) push({ kind: 'lrn', name: `norm${i + 1}`, params: { ...c.lrn, groups: c.partitions } }, shape);
    // Pooling after conv1, conv2 and the last conv (pool5 in the paper; pool3 in Figure 1's three-conv net).
    if (i < 2 || i === last) {
      const [C2, H2, W2] = shape;
      const pool = c.pools?.[i < 2 ? i : 2] ?? c.pool;
      const Hp = poolOutputSize(H2, pool), Wp = poolOutputSize(W2, pool);
      if (Hp < 1 || Wp < 1) throw new RangeError(`${c.name}: pool${i + 1} does not fit its input ${fmtShape(shape)}`);
      push({ kind: 'maxpool', name: `pool${i + 1}`, params: pool }, [C2, Hp, Wp]);
    }
  });
  if (c.name === 'torchvision' && (shape[1] !== 6 || shape[2] !== 6)) {
    throw new RangeError(`${c.name}: pool5 gives ${shape[1]} x ${shape[2]}; torchvision's adaptive average pooling to 6 x 6 is only supported where it is the identity (224 x 224 input)`);
  }
  push({ kind: 'flatten', name: 'flatten' }, [shape[0] * shape[1] * shape[2]]);
  // The FC layers are numbered on from the convs (fc6, fc7, fc8 after conv5); the hidden ones carry the
  // activation and dropout, and start at biasOne (fc6, fc7 in the paper); the last is the classifier.
  const widths = [...c.fc, c.classes];
  const drop = (n: number): LayerSpec => ({ kind: 'dropout', name: `drop${n}`, rate: c.dropout.rate, mode: c.dropout.mode });
  widths.forEach((width, i) => {
    const n = c.conv.length + 1 + i, name = `fc${n}`, hidden = i < c.fc.length;
    const inF = shape[0];
    if (hidden && c.dropoutPlacement === 'before') push(drop(n), shape);
    push({ kind: 'linear', name, inFeatures: inF, outFeatures: width, bias: hidden ? c.biasOne : 0 }, [width], inF * width + width);
    if (hidden) {
      push(act(n), shape);
      if (c.dropoutPlacement === 'after') push(drop(n), shape);
    }
  });
  return out;
}

/**
 * The layer whose output is Figure 4's feature vector (section 6.1): the
 * activation of the last hidden FC layer (relu7 in the paper, 4096 values),
 * or the flattened last pooling where the net has no hidden FC layer.
 */
export function featureLayer(c: AlexNetConfig): { name: string; size: number } {
  const shapes = layerShapes(c);
  let i = shapes.map((s) => s.layer.kind).lastIndexOf('linear') - 1; // the classifier's input,
  while (shapes[i].layer.kind === 'dropout') i--; // before dropout (the identity, or a scaling, at test time)
  return { name: shapes[i].layer.name, size: shapes[i].outShape[0] };
}

/** Total number of learnable parameters (weights and biases). */
export function parameterCount(c: AlexNetConfig): number {
  return layerShapes(c).reduce((s, l) => s + l.params, 0);
}

/** Name and shape of every parameter tensor, in layer order: conv1.weight, conv1.bias, ... fc8.bias. */
export function parameterShapes(c: AlexNetConfig): { name: string; shape: number[]; init: 'normal' | number }[] {
  const out: { name: string; shape: number[]; init: 'normal' | number }[] = [];
  for (const l of buildLayers(c)) {
    if (l.kind === 'conv') {
      out.push({ name: `${l.name}.weight`, shape: [l.spec.out, l.inChannels / l.spec.groups, l.spec.kernel, l.spec.kernel], init: 'normal' });
      out.push({ name: `${l.name}.bias`, shape: [l.spec.out], init: l.bias });
    } else if (l.kind === 'linear') {
      out.push({ name: `${l.name}.weight`, shape: [l.outFeatures, l.inFeatures], init: 'normal' });
      out.push({ name: `${l.name}.bias`, shape: [l.outFeatures], init: l.bias });
    }
  }
  return out;
}
