// The page's real-weights section. A weights file (torchvision .pth,
// .safetensors, .onnx, a .caffemodel with its deploy .prototxt when it holds
// a train_val net) is read by the same code as in Node (src/io/ through
// alexnet()); a photo then gets its top-5 ImageNet classes with the
// preprocessing of the weights' source, and conv1's kernels are drawn in
// colour, one block per GPU of the paper's layout (Figure 3, section 3.2).

import { type AlexNetModel, type Classification, type RgbaImage, alexnet } from '../src/index.js';
import { type KernelMosaic, kernelBlocks, kernelMosaic } from '../src/viz/kernels.js';

/** What a loaded weights file is, in words and numbers, for the page. */
export interface PretrainedInfo {
  file: string;
  found: string;
  config: string;
  parameters: number;
  preset: string | null;
  classes: number;
}

/** A file's name and bytes, as a page gets them from a drop or an <input type=file>. */
export interface NamedBytes {
  name: string;
  bytes: Uint8Array;
}

/** The section's state: at most one model, on the CPU reference (a page's WebGL contexts belong to the training lab). */
export class Pretrained {
  model?: AlexNetModel;

  /** Loads weights from the files given (a .prototxt among them goes with a caffemodel); replaces the model held. */
  async load(files: readonly NamedBytes[]): Promise<PretrainedInfo> {
    const prototxt = files.find((f) => f.name.toLowerCase().endsWith('.prototxt'));
    // One file: the weights. More: an .onnx model and its external data files (whose bytes may start like anything).
    const rest = files.filter((f) => f !== prototxt);
    const weights = rest.length === 1 ? rest : rest.filter((f) => f.name.toLowerCase().endsWith('.onnx'));
    if (weights.length !== 1) {
      throw new Error(`give one weights file (with a deploy .prototxt for a train_val caffemodel, or an ONNX model's external data files); got ${files.map((f) => f.name).join(', ') || 'none'}`);
    }
    const externalData = Object.fromEntries(files.filter((f) => f !== prototxt && f !== weights[0]).map((f) => [f.name, f.bytes]));
    const model = await alexnet({ weights: weights[0].bytes, name: weights[0].name, prototxt: prototxt?.bytes, externalData, backend: 'cpu' });
    await this.model?.dispose();
    this.model = model;
    return {
      file: weights[0].name, found: model.source!.found, config: model.config.name, parameters: model.parameterCount,
      preset: model.source!.preset, classes: model.config.classes,
    };
  }

  /** The top classes of an image (RGBA, any size), prepared as the weights' source prepares photos. */
  async classify(image: RgbaImage, top = 5): Promise<Classification[]> {
    if (!this.model) throw new Error('load a weights file first');
    return this.model.classify(image, { top });
  }

  /** conv1's kernels in true colour (Caffe's BGR weights swapped back), one block per GPU of the paper's layout. */
  async conv1(): Promise<KernelMosaic> {
    if (!this.model) throw new Error('load a weights file first');
    const w = (await this.model.weights()).get('conv1.weight')!;
    return kernelMosaic(w, kernelBlocks(this.model.config), this.model.source?.preset === 'caffe' ? 'bgr' : 'rgb');
  }
}
