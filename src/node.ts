// `alexnet-ts/node`: the file side of the library for Node: images from PNG
// and JPEG files, datasets from folders (IDX, CIFAR-10, image folders), and
// weights from paths. The main entry stays free of Node APIs for pages.

export { type DataSplit, FASHION_MNIST_DIR, type FolderOptions, loadDataset } from './cli/datasets.js';
export { loadImage, readImage } from './cli/images.js';
export { decodeImage } from './io/image.js';
export { readWeightsFile } from './api/weights.js';
