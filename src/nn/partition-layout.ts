// What each of the two partitions (section 3.2; partition.ts runs them)
// holds and how the halves meet: each partition's layer list, its half of the
// parameters (split along output channels or features), and the
// concatenation of two halves along the channel or feature axis where the
// paper's GPUs exchanged activations and gradients.

import type { AlexNetConfig } from './config.js';
import { type LayerSpec, buildLayers } from './layers.js';
import type { HostParams } from './model.js';

/** One layer as a partition runs it, and whether it needs both halves of its input. */
export interface PartLayer {
  layer: LayerSpec;
  full: boolean;
}

/** The layer list of one partition: conv and linear layers with half the kernels, LRN within the partition. */
export function partitionLayers(c: AlexNetConfig): PartLayer[] {
  if (c.partitions !== 2) throw new RangeError(`partitionLayers: configuration ${c.name} has the one-GPU layout (partitions: 1)`);
  if (c.classes % 2 !== 0) throw new RangeError(`partitionLayers: ${c.classes} classes cannot be split over two partitions`);
  return buildLayers(c).map((l): PartLayer => {
    switch (l.kind) {
      case 'conv':
        // groups = 2: each partition is one group, on its own half; groups = 1: half the kernels, on all the input.
        return l.spec.groups === 2
          ? { layer: { ...l, spec: { ...l.spec, out: l.spec.out / 2, groups: 1 }, inChannels: l.inChannels / 2 }, full: false }
          : { layer: { ...l, spec: { ...l.spec, out: l.spec.out / 2 } }, full: true };
      case 'lrn':
        return { layer: { ...l, params: { ...l.params, groups: 1 } }, full: false };
      case 'linear':
        return { layer: { ...l, outFeatures: l.outFeatures / 2 }, full: true };
      default:
        return { layer: l, full: false };
    }
  });
}

/** Rows [p * rows / 2, (p + 1) * rows / 2) of a tensor, along its first axis. */
function halfRows(t: { data: Float32Array; shape: number[] }, p: number): { data: Float32Array; shape: number[] } {
  const rows = t.shape[0] / 2, size = t.data.length / t.shape[0];
  return { data: t.data.slice(p * rows * size, (p + 1) * rows * size), shape: [rows, ...t.shape.slice(1)] };
}

/** The half of the weights and biases that partition p holds (split along output channels or features). */
export function splitParams(host: HostParams, p: number): HostParams {
  return new Map([...host].map(([k, v]) => [k, halfRows(v, p)]));
}

/** The whole network's parameters from the two partitions' halves. */
export function joinParams(a: HostParams, b: HostParams): HostParams {
  return new Map([...a].map(([k, v]) => {
    const w = b.get(k)!;
    const data = new Float32Array(v.data.length + w.data.length);
    data.set(v.data);
    data.set(w.data, v.data.length);
    return [k, { data, shape: [v.shape[0] + w.shape[0], ...v.shape.slice(1)] }];
  }));
}

/** Concatenates per-example blocks: out[n] = [a[n], b[n]] for N examples (the channel or feature axis of NCHW or NC). */
export function concatPerExample(a: Float32Array, b: Float32Array, N: number): Float32Array {
  const sa = a.length / N, sb = b.length / N;
  const out = new Float32Array(a.length + b.length);
  for (let n = 0; n < N; n++) {
    out.set(a.subarray(n * sa, (n + 1) * sa), n * (sa + sb));
    out.set(b.subarray(n * sb, (n + 1) * sb), n * (sa + sb) + sa);
  }
  return out;
}

/** The p-th half of every example's block: the inverse of concatPerExample. */
export function halfPerExample(a: Float32Array, N: number, p: number): Float32Array {
  const s = a.length / N, h = s / 2;
  const out = new Float32Array(N * h);
  for (let n = 0; n < N; n++) out.set(a.subarray(n * s + p * h, n * s + (p + 1) * h), n * h);
  return out;
}

/** The shape of the whole from the shape of a half along axis 1. */
export const doubled = (shape: readonly number[]): number[] => [shape[0], shape[1] * 2, ...shape.slice(2)];
