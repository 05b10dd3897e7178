// Caffe models: a binary NetParameter (.caffemodel) holds the layers with
// their parameters and learned blobs; a text deploy.prototxt (optional)
// gives the inference net when the caffemodel holds a train_val net (Data,
// SoftmaxWithLoss, Accuracy layers). With a prototxt, its layers define the
// net and the caffemodel's blobs are taken by layer name, as Caffe's
// Net::CopyTrainedLayersFrom does.
//
// Caffe's semantics, carried exactly:
//   LRN:      (k + alpha / local_size * sum of squares)^beta, k default 1 (the alpha/n convention);
//   pooling:  output size rounded up (ceil), unless round_mode is FLOOR;
//   group:    conv2, conv4, conv5 of AlexNet have 2;
//   input:    BGR, 0-255, mean subtracted (the 'caffe' preset of predict).
// Both layer layouts are read: `layer` (LayerParameter) and the 2014 `layers` (V1LayerParameter).

import type { AlexNetConfig } from '../nn/config.js';
import type { HostParams } from '../nn/model.js';
import { type ImportedLayer, fromLayers } from './architecture.js';
import { blobProto, netParameter } from './caffe-schema.js';
import { parseTextMessage } from './prototxt.js';
import { readNpy } from './npy.js';
import { FormatError, check, checkedSize, decoderCause, float32From, float64From, transpose2d } from './tensors.js';

/** The deploy prototxt's text, when the caffemodel holds a train_val net. */
export interface CaffeReadOptions {
  prototxt?: string;
  /** The prototxt's name for errors (a path); default 'deploy.prototxt'. */
  prototxtSource?: string;
}

interface Blob { shape?: { dim?: number[] }; data?: Uint8Array; double_data?: Uint8Array; num?: number; channels?: number; height?: number; width?: number }
interface Layer {
  name?: string; type?: string; bottom?: string[]; top?: string[]; blobs?: Blob[];
  convolution_param?: { num_output?: number; bias_term?: boolean; pad?: number[]; kernel_size?: number[]; group?: number; stride?: number[]; pad_h?: number; pad_w?: number; kernel_h?: number; kernel_w?: number; stride_h?: number; stride_w?: number; dilation?: number[] };
  dropout_param?: { dropout_ratio?: number };
  inner_product_param?: { num_output?: number; bias_term?: boolean; axis?: number; transpose?: boolean };
  lrn_param?: { local_size?: number; alpha?: number; beta?: number; norm_region?: string; k?: number };
  pooling_param?: { pool?: string; kernel_size?: number; stride?: number; pad?: number; kernel_h?: number; kernel_w?: number; stride_h?: number; stride_w?: number; pad_h?: number; pad_w?: number; global_pooling?: boolean; round_mode?: string };
  relu_param?: { negative_slope?: number };
  input_param?: { shape?: { dim?: number[] }[] };
}
interface Net { name?: string; input?: string[]; input_shape?: { dim?: number[] }[]; input_dim?: number[]; layer?: Layer[]; layers?: Layer[] }

/** V1's enum names as the type strings of LayerParameter. */
const V1_TYPES: Record<string, string> = {
  CONVOLUTION: 'Convolution', RELU: 'ReLU', LRN: 'LRN', POOLING: 'Pooling', INNER_PRODUCT: 'InnerProduct', DROPOUT: 'Dropout',
  SOFTMAX: 'Softmax', SOFTMAX_LOSS: 'SoftmaxWithLoss', ACCURACY: 'Accuracy', DATA: 'Data', IMAGE_DATA: 'ImageData',
  FLATTEN: 'Flatten', SPLIT: 'Split', MEMORY_DATA: 'MemoryData', WINDOW_DATA: 'WindowData', HDF5_DATA: 'HDF5Data',
};
const DATA_TYPES = new Set(['Data', 'ImageData', 'MemoryData', 'WindowData', 'HDF5Data', 'Input', 'DummyData']);
const TRAIN_TYPES = new Set(['SoftmaxWithLoss', 'Accuracy', 'Silence']);

function layersOf(n: Net): { layers: Layer[]; layout: 'LayerParameter' | 'V1LayerParameter' } {
  if (n.layer?.length) return { layers: n.layer, layout: 'LayerParameter' };
  return { layers: (n.layers ?? []).map((l) => ({ ...l, type: V1_TYPES[l.type ?? ''] ?? l.type })), layout: 'V1LayerParameter' };
}

/** Reads a caffemodel (and optionally its deploy prototxt) as the model's configuration and parameters. */
export function readCaffe(bytes: Uint8Array, source: string, o: CaffeReadOptions = {}): { config: AlexNetConfig; params: HostParams; name: string; layout: string } {
  const T = netParameter();
  let model: Net;
  try {
    model = T.toObject(T.decode(bytes), { longs: Number, enums: String, arrays: true }) as Net;
  } catch (e) {
    throw new FormatError(`${source}: not a readable Caffe NetParameter (${decoderCause(e)})`);
  }
  const fromModel = layersOf(model);
  check(fromModel.layers.length > 0, source, 'a NetParameter without layers: not a caffemodel');
  let net = model, layers = fromModel.layers, where = source;
  if (o.prototxt !== undefined) {
    where = o.prototxtSource ?? 'deploy.prototxt';
    net = parseTextMessage(o.prototxt, T, where) as Net;
    layers = layersOf(net).layers;
    check(layers.length > 0, where, 'a prototxt without layers');
    // The trained blobs, by layer name (Net::CopyTrainedLayersFrom).
    const blobs = new Map(fromModel.layers.map((l) => [l.name ?? '', l.blobs ?? []]));
    layers = layers.map((l) => ({ ...l, blobs: blobs.get(l.name ?? '') ?? [] }));
  } else {
    const train = layers.filter((l) => TRAIN_TYPES.has(l.type ?? '') || (DATA_TYPES.has(l.type ?? '') && l.type !== 'Input'));
    check(train.length === 0, source, `a train_val net (layers ${train.map((l) => `${l.name} (${l.type})`).join(', ')}); pass its deploy.prototxt with --prototxt`);
  }
  // The input: `input_shape`, legacy `input_dim`, or an Input layer.
  const inputLayer = layers.find((l) => l.type === 'Input');
  const dims = net.input_shape?.[0]?.dim ?? (net.input_dim?.length ? net.input_dim : undefined) ?? inputLayer?.input_param?.shape?.[0]?.dim;
  check(dims && dims.length === 4 && dims[2] === dims[3], where, `the net's input shape is ${dims ? `[${dims.join(', ')}]` : 'not declared'}; expected [N, 3, S, S] (input_shape, input_dim or an Input layer)`);
  const imported: ImportedLayer[] = [];
  let current = net.input?.[0] ?? inputLayer?.top?.[0];
  for (const l of layers) {
    const type = l.type ?? '', name = l.name ?? type, at = `layer '${name}' (${type})`;
    if (type === 'Input') continue;
    check(current === undefined || l.bottom?.[0] === current, where, `${at} takes ${l.bottom?.[0] === undefined ? 'no input (no bottom)' : `'${l.bottom[0]}'`}, not the previous layer's output '${current}': alexnet-ts reads AlexNet's single-chain nets`);
    current = l.top?.[0];
    switch (type) {
      case 'Convolution': {
        const p = l.convolution_param ?? {};
        const k = p.kernel_h ?? p.kernel_size?.[0], kw = p.kernel_w ?? p.kernel_size?.[1] ?? k;
        const s = p.stride_h ?? p.stride?.[0] ?? 1, sw = p.stride_w ?? p.stride?.[1] ?? s;
        const pad = p.pad_h ?? p.pad?.[0] ?? 0, pw = p.pad_w ?? p.pad?.[1] ?? pad;
        check(k !== undefined && k === kw && s === sw && pad === pw && (p.dilation ?? []).every((d) => d === 1), where,
          `${at}: kernel ${k} x ${kw}, stride ${s} x ${sw}, pad ${pad} x ${pw}; alexnet-ts maps square kernels, equal strides and pads, no dilation`);
        const bias = p.bias_term ?? true;
        const w = blob(l, 0, where, at), b = bias ? blob(l, 1, where, at) : null;
        const groups = p.group ?? 1;
        const out = p.num_output ?? 0, inPerGroup = w.data.length / (out * k * k);
        check(Number.isInteger(inPerGroup) && inPerGroup >= 1, where, `${at}: ${w.data.length} weights do not divide into ${out} kernels of ${k} x ${k}`);
        imported.push({ kind: 'conv', name, weight: { data: w.data, shape: [out, inPerGroup, k, k] }, bias: b && { data: b.data, shape: [out] }, kernel: k, stride: s, pad, groups });
        break;
      }
      case 'ReLU':
        check(!l.relu_param?.negative_slope, where, `${at}: negative_slope ${l.relu_param?.negative_slope} (a leaky ReLU) has no counterpart in AlexNet`);
        imported.push({ kind: 'relu', name });
        break;
      case 'LRN': {
        const p = l.lrn_param ?? {};
        check((p.norm_region ?? 'ACROSS_CHANNELS') === 'ACROSS_CHANNELS', where, `${at}: norm_region ${p.norm_region}; AlexNet normalises across channels`);
        const size = p.local_size ?? 5;
        check(size % 2 === 1, where, `${at}: local_size ${size}; Caffe requires an odd size`);
        imported.push({ kind: 'lrn', name, size, alpha: p.alpha ?? 1, beta: p.beta ?? 0.75, k: p.k ?? 1 });
        break;
      }
      case 'Pooling': {
        const p = l.pooling_param ?? {};
        check((p.pool ?? 'MAX') === 'MAX' && !p.global_pooling, where, `${at}: ${p.global_pooling ? 'global ' : ''}${p.pool ?? 'MAX'} pooling; AlexNet uses max pooling`);
        const k = p.kernel_h ?? p.kernel_size, s = p.stride_h ?? p.stride ?? 1, pad = p.pad_h ?? p.pad ?? 0;
        check(k !== undefined && (p.kernel_w ?? k) === k && (p.stride_w ?? s) === s && (p.pad_w ?? pad) === pad, where, `${at}: a non-square window; alexnet-ts maps square ones`);
        imported.push({ kind: 'maxpool', name, params: { kernel: k, stride: s, pad, ceil: (p.round_mode ?? 'CEIL') === 'CEIL' } });
        break;
      }
      case 'InnerProduct': {
        const p = l.inner_product_param ?? {};
        check((p.axis ?? 1) === 1, where, `${at}: axis ${p.axis}; expected 1`);
        const w = blob(l, 0, where, at), out = p.num_output ?? 0;
        check(out >= 1 && w.data.length % out === 0, where, `${at}: ${w.data.length} weights for ${out} outputs`);
        const inF = w.data.length / out;
        // Caffe's weights are [num_output, input]; transpose: true stores [input, num_output].
        const weight = p.transpose ? transpose2d(w.data, inF, out) : { data: w.data, shape: [out, inF] };
        const b = (p.bias_term ?? true) ? blob(l, 1, where, at) : null;
        // Caffe flattens the 4-D blob into the first InnerProduct implicitly: the flatten AlexNet's layer list has.
        if (!imported.some((x) => x.kind === 'linear')) imported.push({ kind: 'flatten', name: `${name} (input)` });
        imported.push({ kind: 'linear', name, weight, bias: b && { data: b.data, shape: [out] } });
        break;
      }
      case 'Dropout': imported.push({ kind: 'dropout', name, rate: l.dropout_param?.dropout_ratio ?? 0.5 }); break;
      case 'Softmax': imported.push({ kind: 'softmax', name }); break;
      case 'Flatten': imported.push({ kind: 'flatten', name }); break;
      default:
        throw new FormatError(`${where}: ${at} has no counterpart in alexnet-ts (AlexNet nets use Convolution, ReLU, LRN, Pooling, InnerProduct, Dropout, Softmax)`);
    }
  }
  // An explicit Flatten followed by the implicit one of the first InnerProduct counts once.
  const seq = imported.filter((l, i) => !(l.kind === 'flatten' && imported[i - 1]?.kind === 'flatten'));
  const r = fromLayers(seq, dims[2], dims[1], where);
  return { config: r.config, params: r.params, name: net.name ?? model.name ?? '', layout: fromModel.layout };
}


/** A layer's i-th blob as float32, its declared shape checked against the bytes it holds. */
function blob(l: Layer, i: number, source: string, at: string): { data: Float32Array } {
  const b = l.blobs?.[i];
  check(b, source, `${at} has no ${i === 0 ? 'weights' : 'bias'} blob (blob ${i})`);
  const raw = b.data?.length ? b.data : b.double_data;
  const item = b.data?.length ? 4 : 8;
  check(raw && raw.length % item === 0, source, `${at}: blob ${i} holds no float data`);
  const dims = b.shape?.dim ?? [b.num ?? 1, b.channels ?? 1, b.height ?? 1, b.width ?? 1];
  const n = checkedSize(dims, raw.length / item, source, `${at} blob ${i}`);
  check(n === raw.length / item, source, `${at}: blob ${i} of shape [${dims.join(', ')}] holds ${raw.length / item} values`);
  // A view into the file's bytes where aligned (one copy of the weights in memory, not two).
  const data = item === 4 ? float32From(raw) : float64From(raw);
  return { data };
}

/**
 * A Caffe mean image: a BlobProto file (`ilsvrc_2012_mean.binaryproto`, [1,
 * 3, H, W]) or the .npy Caffe's Python tools load (`ilsvrc_2012_mean.npy`,
 * [3, H, W]), in the network's channel order (BGR) and 0-255 scale. Caffe's
 * data layer subtracts it before cropping (transform_param mean_file).
 */
export function readCaffeMean(bytes: Uint8Array, source: string): { data: Float32Array; shape: [number, number, number] } {
  let t: { data: Float32Array; shape: number[] };
  if (bytes.length >= 6 && bytes[0] === 0x93 && String.fromCharCode(...bytes.subarray(1, 6)) === 'NUMPY') t = readNpy(bytes, source);
  else {
    const T = blobProto();
    let b: { data?: Uint8Array; double_data?: Uint8Array; shape?: { dim?: number[] }; num?: number; channels?: number; height?: number; width?: number };
    try {
      b = T.toObject(T.decode(bytes), { longs: Number, arrays: true }) as typeof b;
    } catch (e) {
      throw new FormatError(`${source}: neither a .npy file nor a readable Caffe BlobProto (${decoderCause(e)})`);
    }
    const raw = b.data?.length ? b.data : b.double_data;
    const item = b.data?.length ? 4 : 8;
    check(raw?.length && raw.length % item === 0, source, 'a BlobProto without float data: not a mean file');
    const dims = b.shape?.dim?.length ? b.shape.dim : [b.num ?? 1, b.channels ?? 1, b.height ?? 1, b.width ?? 1];
    const n = checkedSize(dims, raw.length / item, source, 'the mean blob');
    check(n === raw.length / item, source, `the mean blob of shape [${dims.join(', ')}] holds ${raw.length / item} values`);
    t = { data: item === 4 ? Float32Array.from(float32From(raw)) : float64From(raw), shape: dims };
  }
  const dims = t.shape.length === 4 && t.shape[0] === 1 ? t.shape.slice(1) : t.shape;
  check(dims.length === 3 && dims[0] === 3, source, `a mean image of shape [${t.shape.join(', ')}]; expected [3, H, W] or [1, 3, H, W] (BGR)`);
  const bad = t.data.findIndex((v) => !Number.isFinite(v));
  check(bad < 0, source, `mean value ${bad} is not finite`);
  return { data: t.data, shape: [dims[0], dims[1], dims[2]] };
}
