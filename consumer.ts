
import { alexnet, type AlexNetModel, type Classification, type AlexNetConfig, paperConfig } from 'alexnet-ts';
import { runGoldenFile } from 'alexnet-ts/verify';
const c: AlexNetConfig = paperConfig();
export async function top1(model: AlexNetModel, data: Uint8ClampedArray, width: number, height: number): Promise<string> {
  const best: Classification[] = await model.classify({ data, width, height }, { top: 1 });
  return best[0].label;
}
export const made: Promise<AlexNetModel> = alexnet({ config: 'tiny', backend: 'cpu', partitions: 1, seed: 1 });
export const names: number = c.classes + runGoldenFile.length;
