// The layer list a configuration builds (config.ts), in forward order, with
// each layer's output shape, parameter count and multiply-adds per image: the
// one list the model, the summary, the checkpoints and the exporters walk.
// Where each layer sits is the paper's (section 3.5, Figure 2); config.ts's
// header draws the topology.

import type { DropoutMode } from '../cpu/dropout.js';
import type { LrnParams } from '../cpu/lrn.js';
import { type MaxPoolParams, poolOutputSize } from '../cpu/maxpool.js';
import { convOutputSize } from '../cpu/conv2d.js';
import { fmtShape } from '../cpu/tensor.js';
import { type AlexNetConfig, type ConvSpec, MAX_CONV, MAX_FC } from './config.js';

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
