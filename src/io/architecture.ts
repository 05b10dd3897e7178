// From what a file holds to one of the project's configurations.
//
// Two routes, one check at the end:
//   - a state_dict (pth, safetensors): torchvision's key names fix the
//     topology (features.0 ... classifier.6 = conv1 ... fc8) and the shapes
//     give the widths;
//   - a graph (ONNX, Caffe): its layers in order, with their attributes,
//     matched against AlexNet's sequence
//       conv relu [lrn] pool conv relu [lrn] pool conv relu conv relu conv relu pool
//       flatten [dropout] fc relu [dropout] fc relu [dropout] fc [softmax]
//     The attributes give the configuration: kernels, strides, pads, groups,
//     LRN (in the alpha/n convention of Caffe and ONNX, with its k), pooling
//     (with Caffe's ceil rounding), dropout placement.
// Either way the parameters are renamed conv1.weight ... fc8.bias and every
// shape is checked against parameterShapes(config): a file of another
// architecture is refused with what was found and what was expected.

import type { LrnParams } from '../cpu/lrn.js';
import { type MaxPoolParams, poolOutputSize } from '../cpu/maxpool.js';
import { convOutputSize } from '../cpu/conv2d.js';
import { type AlexNetConfig, type ConvSpec, caffeConfig, torchvisionConfig } from '../nn/config.js';
import { parameterShapes } from '../nn/layers.js';
import type { HostParams } from '../nn/model.js';
import { type HostTensor, type TensorMap, check } from './tensors.js';

import type { Preset } from '../nn/data/presets.js';

export type { Preset };

/** A layer of a graph file, in forward order, as the readers of ONNX and Caffe describe it. */
export type ImportedLayer = { name: string } & (
  | { kind: 'conv'; weight: HostTensor; bias: HostTensor | null; kernel: number; stride: number; pad: number; groups: number }
  | { kind: 'relu' }
  | { kind: 'tanh' }
  | { kind: 'lrn'; size: number; alpha: number; beta: number; k: number; groups?: number }
  | { kind: 'maxpool'; params: MaxPoolParams }
  | { kind: 'flatten' }
  | { kind: 'dropout'; rate: number; scaled?: boolean }
  | { kind: 'linear'; weight: HostTensor; bias: HostTensor | null }
  | { kind: 'softmax' }
);

/** torchvision's module names for conv1 ... fc8 (torchvision/models/alexnet.py). */
export const TORCHVISION_KEYS: Record<string, string> = {
  'features.0': 'conv1', 'features.3': 'conv2', 'features.6': 'conv3', 'features.8': 'conv4', 'features.10': 'conv5',
  'classifier.1': 'fc6', 'classifier.4': 'fc7', 'classifier.6': 'fc8',
};

/** Checks every parameter's name and shape against the configuration; an error names the first that differs. */
export function checkParams(c: AlexNetConfig, params: HostParams, source: string, nameOf: (p: string) => string = (p) => p): void {
  for (const p of parameterShapes(c)) {
    const h = params.get(p.name);
    check(h, source, `${nameOf(p.name)} is missing (expected shape [${p.shape.join(', ')}] for an AlexNet of configuration ${c.name})`);
    check(h.shape.join() === p.shape.join(), source, `${nameOf(p.name)} has shape [${h.shape.join(', ')}]; the ${c.name} topology needs [${p.shape.join(', ')}] there`);
  }
}

/** A torchvision-layout state_dict as the torchvision configuration with the file's widths. */
export function fromTorchvisionKeys(tensors: TensorMap, source: string, skipped: ReadonlyMap<string, string> = new Map()): { config: AlexNetConfig; params: HostParams } {
  // DataParallel saves every key under "module.".
  const strip = [...tensors.keys()].every((k) => k.startsWith('module.')) ? (k: string) => k.slice(7) : (k: string) => k;
  const params: HostParams = new Map();
  const unknown: string[] = [];
  for (const [k, t] of tensors) {
    const key = strip(k), dot = key.lastIndexOf('.');
    const ours = TORCHVISION_KEYS[key.slice(0, dot)], leaf = key.slice(dot + 1);
    if (ours && (leaf === 'weight' || leaf === 'bias')) params.set(`${ours}.${leaf}`, t);
    else unknown.push(key);
  }
  const expected = 'torchvision AlexNet keys features.{0,3,6,8,10}.{weight,bias} and classifier.{1,4,6}.{weight,bias}';
  const found = [...tensors.keys(), ...skipped.keys()];
  check(unknown.length === 0 && skipped.size === 0, source, `found ${found.length} tensors (${[...unknown, ...skipped.keys()].slice(0, 5).join(', ')}${found.length > 5 ? ', ...' : ''}) that are not AlexNet's; expected ${expected}`);
  const w = (n: string) => { const t = params.get(`${n}.weight`); check(t, source, `${Object.keys(TORCHVISION_KEYS).find((k) => TORCHVISION_KEYS[k] === n)}.weight is missing; expected ${expected}`); return t.shape; };
  const base = torchvisionConfig();
  const conv = base.conv.map((s, i) => ({ ...s, out: w(`conv${i + 1}`)[0] }));
  const config: AlexNetConfig = { ...base, conv, fc: [w('fc6')[0], w('fc7')[0]], classes: w('fc8')[0] };
  checkParams(config, params, source, (p) => {
    const [layer, leaf] = p.split('.');
    return `${Object.keys(TORCHVISION_KEYS).find((k) => TORCHVISION_KEYS[k] === layer)}.${leaf}`;
  });
  return { config, params };
}

/** Which family a matched graph is: LRN and groups make it Caffe's (the paper's topology); neither, torchvision's. */
function family(layers: ImportedLayer[]): Preset {
  return layers.some((l) => l.kind === 'lrn' || (l.kind === 'conv' && l.groups > 1)) ? 'caffe' : 'torchvision';
}

/** A graph's layers as a configuration and its parameters; inputSize is the graph's declared H = W. */
export function fromLayers(layers: ImportedLayer[], inputSize: number, inputChannels: number, source: string): { config: AlexNetConfig; params: HostParams; preset: Preset } {
  let seq = layers.filter((l) => l.kind !== 'softmax' || l !== layers[layers.length - 1]);
  check(!seq.some((l) => l.kind === 'softmax'), source, `a Softmax (${seq.find((l) => l.kind === 'softmax')?.name}) before the last layer; AlexNet has it only at the end`);
  // Dropout: where it stands (before or after fc6/fc7's ReLU) and its rate; the rest of the sequence is matched without it.
  const drops = seq.filter((l): l is Extract<ImportedLayer, { kind: 'dropout' }> => l.kind === 'dropout');
  // torchvision: flatten, dropout, fc6, relu, dropout, fc7 (a dropout right after the flatten); the paper and Caffe:
  // fc6, relu, dropout, fc7, relu, dropout, fc8 (none there). The second dropout stands at the same place in both.
  const dropBefore = seq.some((l, i) => l.kind === 'dropout' && seq[i - 1]?.kind === 'flatten');
  seq = seq.filter((l) => l.kind !== 'dropout');
  // The non-linearity: ReLU (the paper) or tanh (Figure 1's comparison), the same after every layer.
  const tanh = seq.some((l) => l.kind === 'tanh');
  check(!tanh || !seq.some((l) => l.kind === 'relu'), source, 'a graph mixing ReLU and tanh; AlexNet uses one non-linearity throughout');
  const kinds = seq.map((l) => (l.kind === 'tanh' ? 'relu' : l.kind));
  const lrn = kinds.includes('lrn');
  const want = ['conv', 'relu', ...(lrn ? ['lrn'] : []), 'maxpool', 'conv', 'relu', ...(lrn ? ['lrn'] : []), 'maxpool',
    'conv', 'relu', 'conv', 'relu', 'conv', 'relu', 'maxpool', 'flatten', 'linear', 'relu', 'linear', 'relu', 'linear'];
  const at = want.findIndex((k, i) => kinds[i] !== k);
  if (at >= 0 || kinds.length !== want.length) {
    const i = at >= 0 ? at : Math.min(kinds.length, want.length);
    const caffenet = lrn && kinds[2] === 'maxpool' && kinds[3] === 'lrn';
    check(false, source, caffenet
      ? `pooling before normalisation (${seq[2].name}, then ${seq[3].name}): that is CaffeNet (bvlc_reference_caffenet), not AlexNet, whose LRN comes before the pooling (paper, section 3.5)`
      : `not an AlexNet graph: layer ${i + 1} is ${seq[i] ? `${seq[i].kind} (${seq[i].name})` : 'missing'} where AlexNet has ${want[i] ?? 'no more layers'} (found ${kinds.join(' ')})`);
  }
  const convs = seq.filter((l): l is Extract<ImportedLayer, { kind: 'conv' }> => l.kind === 'conv');
  const fcs = seq.filter((l): l is Extract<ImportedLayer, { kind: 'linear' }> => l.kind === 'linear');
  const lrns = seq.filter((l): l is Extract<ImportedLayer, { kind: 'lrn' }> => l.kind === 'lrn');
  const pools = seq.filter((l): l is Extract<ImportedLayer, { kind: 'maxpool' }> => l.kind === 'maxpool');
  const preset = family(layers);
  const base = preset === 'caffe' ? caffeConfig() : torchvisionConfig();
  const conv = convs.map((l): ConvSpec => ({ out: l.weight.shape[0], kernel: l.kernel, stride: l.stride, pad: l.pad, groups: l.groups })) as unknown as AlexNetConfig['conv'];
  let lrnParams: LrnParams | null = null;
  if (lrns.length) {
    const [a, b] = lrns;
    check(a.size === b.size && a.alpha === b.alpha && a.beta === b.beta && a.k === b.k, source, `${a.name} and ${b.name} have different parameters; AlexNet's two LRN layers share theirs`);
    check((a.groups ?? 1) === (b.groups ?? 1), source, `${a.name} normalises ${a.groups ?? 1} channel groups, ${b.name} ${b.groups ?? 1}`);
    lrnParams = { size: a.size, alpha: a.alpha, beta: a.beta, k: a.k, convention: 'alpha/n' };
  }
  const partitions = (lrns[0]?.groups ?? 1) as 1 | 2;
  check(partitions === 1 || partitions === 2, source, `${lrns[0]?.name} normalises ${partitions} channel groups; AlexNet has 1 or 2 (the paper's two GPUs)`);
  const same = (p: MaxPoolParams, q: MaxPoolParams) => p.kernel === q.kernel && p.stride === q.stride && p.pad === q.pad && p.ceil === q.ceil;
  const pool = pools[0].params;
  const config: AlexNetConfig = {
    ...base, name: preset === 'caffe' ? base.name : 'torchvision', inputSize, inputChannels, conv, lrn: lrnParams, pool,
    ...(pools.every((p) => same(p.params, pool)) ? {} : { pools: [pools[0].params, pools[1].params, pools[2].params] }),
    fc: [fcs[0].weight.shape[0], fcs[1].weight.shape[0]], classes: fcs[2].weight.shape[0],
    activation: tanh ? 'tanh' : 'relu', partitions,
    dropout: { rate: drops[0]?.rate ?? base.dropout.rate, mode: drops[0]?.scaled ? 'paper' : 'inverted' },
    dropoutPlacement: drops.length ? (dropBefore ? 'before' : 'after') : base.dropoutPlacement,
  };
  const params: HostParams = new Map();
  const names = new Map<string, string>();
  [...convs, ...fcs].forEach((l, i) => {
    const ours = i < 5 ? `conv${i + 1}` : `fc${i + 1}`;
    params.set(`${ours}.weight`, l.weight);
    params.set(`${ours}.bias`, l.bias ?? { data: new Float32Array(l.weight.shape[0]), shape: [l.weight.shape[0]] });
    names.set(`${ours}.weight`, `${l.name}'s weights`); names.set(`${ours}.bias`, `${l.name}'s bias`);
  });
  // Sizes through the graph, so that a mismatch names the layer rather than a shape deep in a kernel.
  let H = inputSize;
  let p = 0;
  for (const l of seq) {
    if (l.kind === 'conv') { H = convOutputSize(H, l.kernel, l.stride, l.pad); check(H >= 1, source, `${l.name} does not fit its ${inputSize} x ${inputSize} input`); }
    if (l.kind === 'maxpool') { H = poolOutputSize(H, config.pools?.[p++] ?? pool); check(H >= 1, source, `${l.name} does not fit its input`); }
  }
  checkParams(config, params, source, (n) => names.get(n) ?? n);
  return { config, params, preset };
}
