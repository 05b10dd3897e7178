// `alexnet summary`: every layer with its output shape and parameter count.

import { type AlexNetConfig } from '../nn/config.js';
import { layerShapes, parameterCount } from '../nn/layers.js';
import { formatTable, thousands } from './table.js';

/** The summary of a configuration as printable text. */
export function summaryText(c: AlexNetConfig): string {
  const rows = layerShapes(c).map((l) => {
    const s = l.outShape;
    const shape = s.length === 3 ? `${s[1]} x ${s[2]} x ${s[0]}` : `${s[0]}`;
    let detail = '';
    const L = l.layer;
    if (L.kind === 'conv') detail = `${L.spec.out} kernels ${L.spec.kernel}x${L.spec.kernel}x${L.inChannels / L.spec.groups}, stride ${L.spec.stride}, pad ${L.spec.pad}, groups ${L.spec.groups}`;
    if (L.kind === 'lrn') detail = `n ${L.params.size}, k ${L.params.k}, alpha ${L.params.alpha} (${L.params.convention}), beta ${L.params.beta}`;
    if (L.kind === 'maxpool') detail = `${L.params.kernel}x${L.params.kernel}, stride ${L.params.stride}, ${L.params.ceil ? 'ceil' : 'floor'}`;
    if (L.kind === 'dropout') detail = `p ${L.rate} (${L.mode} scaling)`;
    if (L.kind === 'linear') detail = `${L.inFeatures} -> ${L.outFeatures}`;
    return [L.name, L.kind, shape, l.params ? thousands(l.params) : '', l.macs ? `${(l.macs / 1e6).toFixed(1)} M` : '', detail];
  });
  const macs = layerShapes(c).reduce((s, l) => s + l.macs, 0);
  return [
    `configuration ${c.name}: input ${c.inputSize} x ${c.inputSize} x ${c.inputChannels}, ${c.classes} classes`,
    '',
    formatTable(['layer', 'op', 'output (H x W x C)', 'params', 'mult-adds', 'detail'], rows, [3, 4]),
    '',
    `total parameters: ${thousands(parameterCount(c))}`,
    `multiply-adds per image, forward: ${(macs / 1e6).toFixed(1)} M (${(2 * macs / 1e9).toFixed(2)} GFLOP)`,
  ].join('\n');
}
