// Writes a model as ONNX (opset 13, IR version 7) with a dynamic batch axis:
// the inference graph of the layer list (src/nn/config.ts), one node per
// layer, read back by onnx.ts and run by any ONNX engine.
//
//   conv     Conv (group for the paper's two-GPU connectivity, section 3.2)
//   lrn      LRN, alpha in ONNX's alpha / size convention: the paper's alpha
//            (applied to the sum as written) becomes alpha * size; with the
//            two partitions' per-half normalisation, Split -> LRN per half -> Concat
//   maxpool  MaxPool (ceil_mode for Caffe's rounding)
//   dropout  nothing for inverted dropout; the paper's test-time "multiply
//            the outputs by 0.5" (section 4.2) as a Mul by 1 - rate
//   linear   Gemm with transB = 1 (weights [out, in])
// The configuration itself goes into metadata_props, so that an export read
// back by alexnet-ts is the same model (dropout mode, partitions, name).

import { lrnCoefficient } from '../cpu/lrn.js';
import { type AlexNetConfig } from '../nn/config.js';
import { buildLayers } from '../nn/layers.js';
import type { HostParams } from '../nn/model.js';
import type { Preset } from '../nn/data/presets.js';
import { checkParams } from './architecture.js';
import { ONNX_CONFIG_KEY } from './onnx.js';
import { ONNX_FLOAT, ONNX_INT64, modelProto } from './onnx-schema.js';

const ATTR = { FLOAT: 1, INT: 2, INTS: 7 } as const;

function f32bytes(a: Float32Array): Uint8Array {
  const out = new Uint8Array(a.length * 4), dv = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) dv.setFloat32(4 * i, a[i], true);
  return out;
}

/** Encodes the model as ONNX bytes; `preset` records the weights' input convention. */
export function writeOnnx(config: AlexNetConfig, params: HostParams, o: { preset?: Preset | null; producerVersion?: string } = {}): Uint8Array {
  checkParams(config, params, 'writeOnnx');
  const initializer: object[] = [], node: object[] = [];
  const tensor = (name: string, data: Float32Array, dims: number[]) => { initializer.push({ name, dims, data_type: ONNX_FLOAT, raw_data: f32bytes(data) }); return name; };
  const ints = (name: string, v: number[]) => ({ name, type: ATTR.INTS, ints: v });
  const int = (name: string, v: number) => ({ name, type: ATTR.INT, i: v });
  const float = (name: string, v: number) => ({ name, type: ATTR.FLOAT, f: v });
  let prev = 'input';
  const add = (op: string, name: string, extra: string[] = [], attribute: object[] = []) => {
    const out = `${name}_out`;
    node.push({ op_type: op, name, input: [prev, ...extra], output: [out], attribute });
    prev = out;
  };
  for (const l of buildLayers(config)) {
    switch (l.kind) {
      case 'conv': {
        const w = params.get(`${l.name}.weight`)!, b = params.get(`${l.name}.bias`)!;
        const s = l.spec;
        add('Conv', l.name, [tensor(`${l.name}.weight`, w.data, w.shape), tensor(`${l.name}.bias`, b.data, b.shape)],
          [ints('kernel_shape', [s.kernel, s.kernel]), ints('strides', [s.stride, s.stride]), ints('pads', [s.pad, s.pad, s.pad, s.pad]), int('group', s.groups), ints('dilations', [1, 1])]);
        break;
      }
      case 'relu': add('Relu', l.name); break;
      case 'tanh': add('Tanh', l.name); break;
      case 'lrn': {
        const p = l.params, g = p.groups ?? 1;
        const attrs = [int('size', p.size), float('alpha', lrnCoefficient('writeOnnx', p) * p.size), float('beta', p.beta), float('bias', p.k)];
        if (g === 1) { add('LRN', l.name, [], attrs); break; }
        // Each partition normalises its own channels: split them, normalise each part, join them again.
        const channels = config.conv[l.name === 'norm1' ? 0 : 1].out;
        const split = `${l.name}_split`;
        initializer.push({ name: `${split}.sizes`, dims: [g], data_type: ONNX_INT64, int64_data: Array(g).fill(channels / g) });
        const parts = Array.from({ length: g }, (_, i) => `${split}_${i}`);
        node.push({ op_type: 'Split', name: split, input: [prev, `${split}.sizes`], output: parts, attribute: [int('axis', 1)] });
        const normed = parts.map((part, i) => { node.push({ op_type: 'LRN', name: `${l.name}_${i}`, input: [part], output: [`${part}_lrn`], attribute: attrs }); return `${part}_lrn`; });
        node.push({ op_type: 'Concat', name: `${l.name}_concat`, input: normed, output: [`${l.name}_out`], attribute: [int('axis', 1)] });
        prev = `${l.name}_out`;
        break;
      }
      case 'maxpool': {
        const p = l.params;
        add('MaxPool', l.name, [], [ints('kernel_shape', [p.kernel, p.kernel]), ints('strides', [p.stride, p.stride]), ints('pads', [p.pad, p.pad, p.pad, p.pad]), int('ceil_mode', p.ceil ? 1 : 0)]);
        break;
      }
      case 'flatten': add('Flatten', l.name, [], [int('axis', 1)]); break;
      case 'dropout':
        if (l.mode === 'paper' && l.rate > 0) add('Mul', l.name, [tensor(`${l.name}.scale`, Float32Array.of(1 - l.rate), [])]);
        break;
      case 'linear': {
        const w = params.get(`${l.name}.weight`)!, b = params.get(`${l.name}.bias`)!;
        add('Gemm', l.name, [tensor(`${l.name}.weight`, w.data, w.shape), tensor(`${l.name}.bias`, b.data, b.shape)], [float('alpha', 1), float('beta', 1), int('transB', 1)]);
        break;
      }
    }
  }
  const S = config.inputSize;
  const valueInfo = (name: string, dims: ({ dim_param: string } | { dim_value: number })[]) => ({ name, type: { tensor_type: { elem_type: ONNX_FLOAT, shape: { dim: dims } } } });
  // The last node's output is the graph's: rename it.
  (node[node.length - 1] as { output: string[] }).output = ['logits'];
  const metadata = [{ key: ONNX_CONFIG_KEY, value: JSON.stringify(config) }, ...(o.preset ? [{ key: 'alexnet-ts.preset', value: o.preset }] : [])];
  const T = modelProto();
  const msg = T.fromObject({
    ir_version: 7, opset_import: [{ domain: '', version: 13 }], producer_name: 'alexnet-ts', producer_version: o.producerVersion ?? '',
    graph: {
      name: `alexnet-${config.name}`, node, initializer,
      input: [valueInfo('input', [{ dim_param: 'batch' }, { dim_value: config.inputChannels }, { dim_value: S }, { dim_value: S }])],
      output: [valueInfo('logits', [{ dim_param: 'batch' }, { dim_value: config.classes }])],
    },
    metadata_props: metadata,
  });
  return T.encode(msg).finish();
}

/** A node of onnxGraph: op type, input and output names, attributes by kind. */
export interface OnnxNodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  ints?: Record<string, number[]>;
  int?: Record<string, number>;
  float?: Record<string, number>;
}

/**
 * A small ONNX model (opset 13, IR 7) from nodes, float32 inputs and outputs
 * (shapes optional on outputs) and float32 initializers: one op's graph, as
 * the onnxruntime backend of examples/backends/ runs each op.
 */
export function onnxGraph(g: {
  name: string; nodes: OnnxNodeSpec[]; inputs: { name: string; shape: readonly number[] }[]; outputs: { name: string; shape?: readonly number[] }[];
  initializers?: { name: string; data: Float32Array; shape: readonly number[] }[];
}): Uint8Array {
  const valueInfo = (name: string, shape?: readonly number[]) => ({
    name, type: { tensor_type: { elem_type: ONNX_FLOAT, ...(shape ? { shape: { dim: shape.map((d) => ({ dim_value: d })) } } : {}) } },
  });
  const node = g.nodes.map((n, i) => ({
    op_type: n.op, name: `${n.op}_${i}`, input: n.inputs, output: n.outputs,
    attribute: [
      ...Object.entries(n.ints ?? {}).map(([name, v]) => ({ name, type: ATTR.INTS, ints: v })),
      ...Object.entries(n.int ?? {}).map(([name, v]) => ({ name, type: ATTR.INT, i: v })),
      ...Object.entries(n.float ?? {}).map(([name, v]) => ({ name, type: ATTR.FLOAT, f: v })),
    ],
  }));
  const T = modelProto();
  return T.encode(T.fromObject({
    ir_version: 7, opset_import: [{ domain: '', version: 13 }], producer_name: 'alexnet-ts',
    graph: {
      name: g.name, node, input: g.inputs.map((x) => valueInfo(x.name, x.shape)), output: g.outputs.map((x) => valueInfo(x.name, x.shape)),
      initializer: (g.initializers ?? []).map((t) => ({ name: t.name, dims: [...t.shape], data_type: ONNX_FLOAT, raw_data: f32bytes(t.data) })),
    },
  })).finish();
}
