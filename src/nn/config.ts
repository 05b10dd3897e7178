// AlexNet configurations and the layer list they build (paper, section 3.5 and Figure 2).
//
// A configuration names the widths and hyper-parameters; buildLayers() turns
// it into the paper's topology:
//   conv1 relu1 norm1 pool1 | conv2 relu2 norm2 pool2 | conv3 relu3 | conv4 relu4 |
//   conv5 relu5 pool5 | flatten | fc6 relu6 drop6 | fc7 relu7 drop7 | fc8
// (dropout after the ReLU of fc6 and fc7, as the paper places it). The model,
// the summary and the checkpoint code all walk this one list.

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
  /** conv1 .. conv5. */
  readonly conv: readonly [ConvSpec, ConvSpec, ConvSpec, ConvSpec, ConvSpec];
  /** LRN after the ReLUs of conv1 and conv2, or null for none. */
  readonly lrn: LrnParams | null;
  /** The max pooling after norm1, norm2 and conv5. */
  readonly pool: MaxPoolParams;
  /** Widths of fc6 and fc7. */
  readonly fc: readonly [number, number];
  readonly classes: number;
  /** Dropout on the outputs of fc6 and fc7 while training (rate 0.5 in the paper). */
  readonly dropout: { readonly rate: number; readonly mode: DropoutMode };
  /** Initial bias of conv2, conv4, conv5, fc6, fc7 (paper: 1; Caffe's recipe: 0.1). Others start at 0. */
  readonly biasOne: number;
  /** Standard deviation of the initial weights (paper: 0.01). */
  readonly initStd: number;
}

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
  };
}

/** The paper's topology with other widths: channels of conv1..conv5, fc6/fc7 widths, classes, input size. */
export function scaledPaperConfig(o: {
  name: string; channels: readonly number[]; fc: readonly number[]; classes: number; inputSize: number; inputChannels?: number;
}): AlexNetConfig {
  const base = paperConfig();
  if (o.channels.length !== 5) throw new RangeError(`scaledPaperConfig: channels must list 5 conv widths, got ${fmtShape(o.channels)}`);
  if (o.fc.length !== 2) throw new RangeError(`scaledPaperConfig: fc must list 2 widths (fc6, fc7), got ${fmtShape(o.fc)}`);
  const conv = base.conv.map((c, i) => ({ ...c, out: o.channels[i] })) as unknown as AlexNetConfig['conv'];
  return {
    ...base, name: o.name, conv, fc: [o.fc[0], o.fc[1]], classes: o.classes, inputSize: o.inputSize,
    inputChannels: o.inputChannels ?? base.inputChannels,
  };
}

/** The same configuration with groups = 1 everywhere (one partition's connectivity). */
export function withoutGroups(c: AlexNetConfig): AlexNetConfig {
  return { ...c, name: `${c.name}-nogroups`, conv: c.conv.map((s) => ({ ...s, groups: 1 })) as unknown as AlexNetConfig['conv'] };
}

/** The paper's topology at toy widths on 67 x 67 input (the whole-model golden's net): for quick checks. */
export function tinyConfig(): AlexNetConfig {
  return scaledPaperConfig({ name: 'tiny', channels: [8, 16, 24, 24, 16], fc: [32, 32], classes: 10, inputSize: 67 });
}

/** Configurations by name, for the command line. */
export const CONFIGS: Record<string, () => AlexNetConfig> = {
  paper: paperConfig,
  tiny: tinyConfig,
};

/** A layer of the built network, in forward order. */
export type LayerSpec =
  | { kind: 'conv'; name: string; spec: ConvSpec; inChannels: number; bias: number }
  | { kind: 'relu'; name: string }
  | { kind: 'lrn'; name: string; params: LrnParams }
  | { kind: 'maxpool'; name: string; params: MaxPoolParams }
  | { kind: 'flatten'; name: string }
  | { kind: 'dropout'; name: string; rate: number; mode: DropoutMode }
  | { kind: 'linear'; name: string; inFeatures: number; outFeatures: number; bias: number };

/** A layer with the shape it produces for one image ([C, H, W] or [features]) and its parameter count. */
export interface LayerShape {
  layer: LayerSpec;
  outShape: number[];
  params: number;
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
    out.push({ layer, outShape: s, params });
    shape = s;
  };
  const biasOne = new Set(['conv2', 'conv4', 'conv5', 'fc6', 'fc7']);
  c.conv.forEach((spec, i) => {
    const name = `conv${i + 1}`;
    const [C, H, W] = shape;
    if (C % spec.groups !== 0 || spec.out % spec.groups !== 0) {
      throw new RangeError(`${c.name}: ${name} has groups = ${spec.groups}, which must divide its ${C} input and ${spec.out} output channels`);
    }
    const Ho = convOutputSize(H, spec.kernel, spec.stride, spec.pad), Wo = convOutputSize(W, spec.kernel, spec.stride, spec.pad);
    if (Ho < 1 || Wo < 1) throw new RangeError(`${c.name}: ${name} (kernel ${spec.kernel}) does not fit its input ${fmtShape(shape)}`);
    const params = spec.out * (C / spec.groups) * spec.kernel * spec.kernel + spec.out;
    push({ kind: 'conv', name, spec, inChannels: C, bias: biasOne.has(name) ? c.biasOne : 0 }, [spec.out, Ho, Wo], params);
    push({ kind: 'relu', name: `relu${i + 1}` }, shape);
    if (i < 2 && c.lrn) push({ kind: 'lrn', name: `norm${i + 1}`, params: c.lrn }, shape);
    if (i === 0 || i === 1 || i === 4) {
      const [C2, H2, W2] = shape;
      const Hp = poolOutputSize(H2, c.pool), Wp = poolOutputSize(W2, c.pool);
      if (Hp < 1 || Wp < 1) throw new RangeError(`${c.name}: pool${i + 1} does not fit its input ${fmtShape(shape)}`);
      push({ kind: 'maxpool', name: `pool${i + 1}`, params: c.pool }, [C2, Hp, Wp]);
    }
  });
  push({ kind: 'flatten', name: 'flatten' }, [shape[0] * shape[1] * shape[2]]);
  const widths = [c.fc[0], c.fc[1], c.classes];
  widths.forEach((width, i) => {
    const name = `fc${i + 6}`;
    const inF = shape[0];
    push({ kind: 'linear', name, inFeatures: inF, outFeatures: width, bias: biasOne.has(name) ? c.biasOne : 0 }, [width], inF * width + width);
    if (i < 2) {
      push({ kind: 'relu', name: `relu${i + 6}` }, shape);
      push({ kind: 'dropout', name: `drop${i + 6}`, rate: c.dropout.rate, mode: c.dropout.mode }, shape);
    }
  });
  return out;
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
