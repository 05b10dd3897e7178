// ONNX models (onnx.proto, opset 7-21) of AlexNet's single-path graph: as
// torch.onnx.export writes torchvision's alexnet (Conv, Relu, MaxPool, the
// adaptive pool as a 1 x 1 AveragePool, Flatten, Gemm), as the model zoo's
// bvlcalexnet has it (grouped Conv, native LRN, MaxPool, Reshape, Gemm with
// transB, Dropout, a final Softmax), and as `alexnet export --onnx` writes it.
//
// The nodes must form one chain from the graph's input to its output; each
// is mapped with every attribute checked. An op, or an attribute value, that
// has no exact counterpart here is an error naming the node and op: nothing
// is approximated. Initializers: raw_data or float_data, float32, float16,
// bfloat16 or float64, inline or in external data files.
// Decoding is protobufjs with the schema in onnx-schema.ts.

import type { MaxPoolParams } from '../cpu/maxpool.js';
import { poolOutputSize } from '../cpu/maxpool.js';
import { convOutputSize } from '../cpu/conv2d.js';
import type { AlexNetConfig } from '../nn/config.js';
import type { HostParams } from '../nn/model.js';
import { type ImportedLayer, type Preset, checkParams, fromLayers } from './architecture.js';
import {
  ONNX_BFLOAT16, ONNX_DOUBLE, ONNX_FLOAT, ONNX_FLOAT16, ONNX_INT64, type OnnxAttribute, type OnnxModel, type OnnxNode, type OnnxTensor, modelProto,
} from './onnx-schema.js';
import { type HostTensor, FormatError, bfloat16From, check, checkedSize, decoderCause, float16From, float32From, float64From, transpose2d } from './tensors.js';

/** Where the tensors stored outside the model file come from (Node: files beside it). */
export interface OnnxReadOptions {
  /** Bytes of an external data file named by a tensor's `location`; absent, such a tensor is an error. */
  external?: (location: string) => Uint8Array;
}

/** What an ONNX file gives the model. */
export interface OnnxContents {
  config: AlexNetConfig;
  params: HostParams;
  preset: Preset;
  opset: number;
  producer: string;
}

/** Metadata key under which `alexnet export` stores the configuration it exported. */
export const ONNX_CONFIG_KEY = 'alexnet-ts.config';

const ITEM: Record<number, number> = { [ONNX_FLOAT]: 4, [ONNX_FLOAT16]: 2, [ONNX_BFLOAT16]: 2, [ONNX_DOUBLE]: 8, [ONNX_INT64]: 8 };

/** Decodes ONNX bytes into the model's configuration and parameters; `source` names the file in errors. */
export function readOnnx(bytes: Uint8Array, source: string, o: OnnxReadOptions = {}): OnnxContents {
  let m: OnnxModel;
  try {
    const T = modelProto();
    m = T.toObject(T.decode(bytes), { longs: Number, arrays: true }) as OnnxModel;
  } catch (e) {
    throw new FormatError(`${source}: not a readable ONNX model (${decoderCause(e)})`);
  }
  const g = m.graph;
  check(g && g.node && g.node.length > 0, source, 'an ONNX model without a graph');
  const opset = m.opset_import?.find((s) => !s.domain || s.domain === 'ai.onnx')?.version ?? 0;
  check(opset >= 7, source, `ONNX opset ${opset}; alexnet-ts reads opset 7 or later`);
  const inits = new Map((g.initializer ?? []).map((t) => [t.name ?? '', t]));
  const constants = new Map<string, OnnxTensor>();
  const data = (name: string, what: string): HostTensor => {
    const t = inits.get(name) ?? constants.get(name);
    check(t, source, `${what}: no initializer named '${name}'`);
    return tensorOf(t, source, o);
  };
  const input = (g.input ?? []).find((i) => !inits.has(i.name ?? ''));
  check(input, source, 'the graph has no input besides its initializers');
  const dims = input.type?.tensor_type?.shape?.dim ?? [];
  const [, C, H, W] = dims.map((d) => d.dim_value);
  check(dims.length === 4 && C && H && H === W, source, `graph input '${input.name}' has shape [${dims.map((d) => d.dim_value ?? d.dim_param ?? '?').join(', ')}]; expected [N, C, S, S]`);

  const layers: ImportedLayer[] = [];
  let current = input.name!;
  let size = H;
  const nodes = g.node;
  for (let ni = 0; ni < nodes.length; ni++) {
    const node = nodes[ni];
    const op = node.op_type ?? '', name = node.name || node.output?.[0] || op;
    const where = `node '${name}' (${op})`;
    if (op === 'Constant') {
      const v = attr(node, 'value');
      check(v?.t, source, `${where} has no tensor value`);
      constants.set(node.output?.[0] ?? '', v.t);
      continue;
    }
    check(!node.domain || node.domain === 'ai.onnx', source, `${where} is in domain '${node.domain}'; alexnet-ts maps the standard ONNX ops only`);
    check(node.input?.[0] === current, source, `${where} takes '${node.input?.[0]}', not the previous layer's output '${current}': alexnet-ts reads AlexNet's single-chain graphs only`);
    const known = (names: string[]) => {
      for (const a of node.attribute ?? []) check(names.includes(a.name ?? ''), source, `${where} has attribute ${a.name}, which alexnet-ts does not map`);
    };
    switch (op) {
      case 'Conv': {
        known(['kernel_shape', 'strides', 'pads', 'dilations', 'group', 'auto_pad']);
        const w = data(node.input![1], where);
        check(w.shape.length === 4 && w.shape[2] === w.shape[3], source, `${where}: weights of shape [${w.shape.join(', ')}]; expected [out, in / group, k, k]`);
        const k = ints(node, 'kernel_shape', [w.shape[2], w.shape[3]]), s = ints(node, 'strides', [1, 1]);
        const pads = ints(node, 'pads', [0, 0, 0, 0]), dil = ints(node, 'dilations', [1, 1]);
        check(k[0] === w.shape[2] && k[1] === w.shape[3], source, `${where}: kernel_shape [${k}] does not match its weights [${w.shape.join(', ')}]`);
        check(s[0] === s[1] && pads.every((p) => p === pads[0]) && dil.every((d) => d === 1), source,
          `${where}: strides [${s}], pads [${pads}], dilations [${dil}]; alexnet-ts maps equal strides, equal pads on all sides and no dilation`);
        check(str(node, 'auto_pad', 'NOTSET') === 'NOTSET', source, `${where}: auto_pad ${str(node, 'auto_pad', '')} is not mapped; expected explicit pads`);
        const groups = int(node, 'group', 1);
        layers.push({ kind: 'conv', name, weight: w, bias: node.input![2] ? data(node.input![2], where) : null, kernel: k[0], stride: s[0], pad: pads[0], groups });
        size = convOutputSize(size, k[0], s[0], pads[0]);
        break;
      }
      case 'Relu': known([]); layers.push({ kind: 'relu', name }); break;
      case 'Split': {
        // The two partitions' LRN (section 3.2, as `alexnet export` writes it): Split on channels into equal parts,
        // one LRN per part with the same attributes, Concat on channels. Anything else after a Split is not AlexNet.
        const parts = node.output ?? [];
        const lrnNodes = nodes.slice(ni + 1, ni + 1 + parts.length), concat = nodes[ni + 1 + parts.length];
        const same = (a: OnnxNode, b: OnnxNode) => JSON.stringify(a.attribute) === JSON.stringify(b.attribute);
        const sizes = node.input?.[1] ? int64s(inits.get(node.input[1]) ?? constants.get(node.input[1]), source, where, o) : [];
        check(int(node, 'axis', 0) === 1 && parts.length >= 2 && sizes.every((v) => v === sizes[0])
          && lrnNodes.every((n, i) => n.op_type === 'LRN' && n.input?.[0] === parts[i] && same(n, lrnNodes[0]))
          && concat?.op_type === 'Concat' && int(concat, 'axis', 0) === 1 && concat.input?.join() === lrnNodes.map((n) => n.output?.[0]).join(), source,
          `${where}: alexnet-ts maps a Split only as the two partitions' normalisation (Split on channels, one LRN per part, Concat)`);
        const n0 = lrnNodes[0], n = int(n0, 'size', 0);
        check(n % 2 === 1, source, `node '${n0.name}' (LRN): size ${n}; alexnet-ts maps odd sizes`);
        layers.push({ kind: 'lrn', name: n0.name ?? name, size: n, alpha: float(n0, 'alpha', 1e-4), beta: float(n0, 'beta', 0.75), k: float(n0, 'bias', 1), groups: parts.length });
        ni += parts.length + 1;
        current = concat.output?.[0] ?? '';
        continue;
      }
      case 'Mul': {
        // The paper's test-time dropout scaling (section 4.2), as `alexnet export` writes it: a scalar constant.
        const sc = data(node.input![1], where);
        check(sc.data.length === 1 && sc.data[0] > 0 && sc.data[0] <= 1, source, `${where}: alexnet-ts maps a Mul only as the paper's dropout scaling by a scalar in (0, 1]`);
        layers.push({ kind: 'dropout', name, rate: 1 - sc.data[0], scaled: true });
        break;
      }
      case 'Tanh': known([]); layers.push({ kind: 'tanh', name }); break;
      case 'LRN': {
        known(['size', 'alpha', 'beta', 'bias']);
        const n = int(node, 'size', 0);
        // ONNX's window for even sizes is c - floor((n-1)/2) .. c + ceil((n-1)/2), PyTorch's (ours) the mirror image.
        check(n % 2 === 1, source, `${where}: size ${n}; alexnet-ts maps odd sizes, where ONNX's channel window and its own agree`);
        layers.push({ kind: 'lrn', name, size: n, alpha: float(node, 'alpha', 1e-4), beta: float(node, 'beta', 0.75), k: float(node, 'bias', 1) });
        break;
      }
      case 'MaxPool': {
        known(['kernel_shape', 'strides', 'pads', 'ceil_mode', 'auto_pad', 'dilations', 'storage_order']);
        const k = ints(node, 'kernel_shape', []), s = ints(node, 'strides', [1, 1]), pads = ints(node, 'pads', [0, 0, 0, 0]);
        check(k.length === 2 && k[0] === k[1] && s[0] === s[1] && ints(node, 'dilations', [1, 1]).every((d) => d === 1) && str(node, 'auto_pad', 'NOTSET') === 'NOTSET' && node.output?.length === 1,
          source, `${where}: kernel [${k}], strides [${s}]; alexnet-ts maps square windows, equal strides, explicit pads and one output`);
        const ceil = int(node, 'ceil_mode', 0) === 1;
        let params: MaxPoolParams;
        if (pads.every((p) => p === pads[0])) params = { kernel: k[0], stride: s[0], pad: pads[0], ceil };
        else {
          // Padding only at the bottom and right (the zoo's pool5, reaching 6 x 6 at 224) is ceil rounding at this size:
          // padding never wins a max, and both give the same windows when they give the same count.
          const end = pads[2];
          const asCeil: MaxPoolParams = { kernel: k[0], stride: s[0], pad: 0, ceil: true };
          const floorSize = Math.floor((size + end - k[0]) / s[0]) + 1;
          check(!ceil && pads[0] === 0 && pads[1] === 0 && pads[3] === end && floorSize === poolOutputSize(size, asCeil), source,
            `${where}: pads [${pads}] on a ${size} x ${size} input have no equivalent here (symmetric pads, or end pads equal to ceil rounding, are mapped)`);
          params = asCeil;
        }
        layers.push({ kind: 'maxpool', name, params });
        size = poolOutputSize(size, params);
        break;
      }
      case 'AveragePool': {
        // torchvision's AdaptiveAvgPool2d(6) at 224 is exported as a 1 x 1 average pool: the identity.
        const k = ints(node, 'kernel_shape', []), s = ints(node, 'strides', [1, 1]), pads = ints(node, 'pads', [0, 0, 0, 0]);
        check(k.every((v) => v === 1) && s.every((v) => v === 1) && pads.every((v) => v === 0), source,
          `${where}: an average pool of kernel [${k}] strides [${s}]; only the identity (torchvision's adaptive pool at 224, kernel 1 x 1) is mapped`);
        break;
      }
      case 'Identity': known([]); break;
      case 'Flatten':
        known(['axis']);
        check(int(node, 'axis', 1) === 1, source, `${where}: axis ${int(node, 'axis', 1)}; expected 1 (keep the batch axis)`);
        layers.push({ kind: 'flatten', name });
        break;
      case 'Reshape': {
        known(['allowzero']);
        const shape = int64s(inits.get(node.input![1]) ?? constants.get(node.input![1]), source, where, o);
        check(shape.length === 2 && (shape[0] === 0 || shape[0] === -1 || shape[0] === 1) && shape[1] !== 0, source,
          `${where}: target shape [${shape}]; alexnet-ts maps a Reshape to [N, features] (a flatten) only`);
        layers.push({ kind: 'flatten', name });
        break;
      }
      case 'Gemm': {
        known(['alpha', 'beta', 'transA', 'transB']);
        check(float(node, 'alpha', 1) === 1 && float(node, 'beta', 1) === 1 && int(node, 'transA', 0) === 0, source,
          `${where}: alpha ${float(node, 'alpha', 1)}, beta ${float(node, 'beta', 1)}, transA ${int(node, 'transA', 0)}; alexnet-ts maps y = x W' + b (alpha = beta = 1, transA = 0)`);
        let w = data(node.input![1], where);
        check(w.shape.length === 2, source, `${where}: weights of shape [${w.shape.join(', ')}]; expected a matrix`);
        if (int(node, 'transB', 0) === 0) w = transpose2d(w.data, w.shape[0], w.shape[1]);
        const b = node.input![2] ? data(node.input![2], where) : null;
        check(!b || (b.shape.length === 1 && b.shape[0] === w.shape[0]) || (b.shape.length === 2 && b.shape[0] === 1 && b.shape[1] === w.shape[0]), source, `${where}: bias of shape [${b?.shape.join(', ')}]; expected [${w.shape[0]}]`);
        layers.push({ kind: 'linear', name, weight: w, bias: b ? { data: b.data, shape: [w.shape[0]] } : null });
        break;
      }
      case 'Dropout': {
        known(['ratio', 'seed', 'is_test']);
        const r = node.input?.[1] ? data(node.input[1], where).data[0] : float(node, 'ratio', 0.5);
        layers.push({ kind: 'dropout', name, rate: r });
        break;
      }
      case 'Softmax':
        known(['axis']);
        layers.push({ kind: 'softmax', name });
        break;
      default:
        throw new FormatError(`${source}: ${where} has no counterpart in alexnet-ts (AlexNet graphs use Conv, Relu, LRN, MaxPool, Flatten or Reshape, Gemm, Dropout, Softmax)`);
    }
    current = node.output?.[0] ?? '';
  }
  const output = g.output?.[0]?.name;
  check(current === output, source, `the chain ends at '${current}', not at the graph output '${output}'`);
  let { config, params, preset } = fromLayers(layers, H, C, source);
  // A file alexnet-ts exported carries its configuration (dropout mode, partitions) beside the graph that implies the rest.
  const saved = m.metadata_props?.find((p) => p.key === ONNX_CONFIG_KEY)?.value;
  if (saved) {
    let c: AlexNetConfig;
    try { c = JSON.parse(saved) as AlexNetConfig; } catch { throw new FormatError(`${source}: metadata ${ONNX_CONFIG_KEY} is not JSON`); }
    checkParams(c, params, source);
    config = c;
    preset = (m.metadata_props?.find((p) => p.key === 'alexnet-ts.preset')?.value as Preset | undefined) ?? preset;
  }
  return { config, params, preset, opset, producer: `${m.producer_name ?? ''} ${m.producer_version ?? ''}`.trim() };
}

function attr(n: OnnxNode, name: string): OnnxAttribute | undefined {
  return n.attribute?.find((a) => a.name === name);
}
function int(n: OnnxNode, name: string, dflt: number): number { return attr(n, name)?.i ?? dflt; }
function float(n: OnnxNode, name: string, dflt: number): number { return attr(n, name)?.f ?? dflt; }
function ints(n: OnnxNode, name: string, dflt: number[]): number[] { const a = attr(n, name); return a?.ints?.length ? a.ints : dflt; }
function str(n: OnnxNode, name: string, dflt: string): string { const a = attr(n, name); return a?.s ? new TextDecoder().decode(a.s) : dflt; }


/** The bytes of a tensor: inline raw_data, or a range of an external data file (ONNX's external data convention). */
function rawBytes(t: OnnxTensor, source: string, o: OnnxReadOptions): Uint8Array | undefined {
  if (t.data_location !== 1) return t.raw_data;
  const kv = new Map((t.external_data ?? []).map((e) => [e.key, e.value]));
  const location = kv.get('location');
  check(location, source, `tensor '${t.name}' is external but names no location`);
  check(o.external, source, `tensor '${t.name}' is stored in the external file '${location}'; pass that file's bytes too (in Node, keep it beside the model)`);
  const file = o.external(location);
  const offset = Number(kv.get('offset') ?? 0), length = kv.has('length') ? Number(kv.get('length')) : file.length - offset;
  check(Number.isSafeInteger(offset) && Number.isSafeInteger(length) && offset >= 0 && length >= 0 && offset + length <= file.length, source,
    `tensor '${t.name}': bytes ${offset} to ${offset + length} of '${location}', which has ${file.length}`);
  return file.subarray(offset, offset + length);
}

/** An initializer as float32, its size checked against the bytes that hold it before anything is allocated. */
function tensorOf(t: OnnxTensor, source: string, o: OnnxReadOptions): HostTensor {
  const type = t.data_type ?? 0, what = `tensor '${t.name}'`;
  const item = ITEM[type];
  check(item !== undefined && type !== ONNX_INT64, source, `${what} has data type ${type}; expected float32 (1), float16 (10), float64 (11) or bfloat16 (16)`);
  const dims = t.dims ?? [];
  const raw = rawBytes(t, source, o);
  const count = raw?.length ? raw.length / item : (type === ONNX_DOUBLE ? t.double_data?.length : t.float_data?.length) ?? 0;
  const n = checkedSize(dims, count, source, what);
  check(n === count, source, `${what} of shape [${dims.join(', ')}] holds ${count} values, needs ${n}`);
  let data: Float32Array;
  if (raw?.length) {
    // float32 raw_data is a view into the file's bytes where aligned (one copy of the weights in memory, not two).
    data = type === ONNX_FLOAT ? float32From(raw) : type === ONNX_FLOAT16 ? float16From(raw) : type === ONNX_BFLOAT16 ? bfloat16From(raw) : float64From(raw);
  } else if (type === ONNX_FLOAT) data = Float32Array.from(t.float_data ?? []);
  else if (type === ONNX_DOUBLE) data = Float32Array.from(t.double_data ?? []);
  else throw new FormatError(`${source}: ${what}: float16 values outside raw_data are not read`);
  return { data, shape: dims };
}

/** An int64 initializer (a Reshape's target shape). */
function int64s(t: OnnxTensor | undefined, source: string, where: string, o: OnnxReadOptions): number[] {
  check(t && t.data_type === ONNX_INT64, source, `${where}: its shape input is not an int64 constant`);
  if (t.int64_data?.length) return t.int64_data;
  // Inline, or in the external data file with the weights (onnx's save_as_external_data moves every initializer there).
  const raw = rawBytes(t, source, o) ?? new Uint8Array(0);
  check(raw.length % 8 === 0 && raw.length <= 64, source, `${where}: a shape constant of ${raw.length} bytes`);
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return Array.from({ length: raw.length / 8 }, (_, i) => Number(dv.getBigInt64(8 * i, true)));
}
