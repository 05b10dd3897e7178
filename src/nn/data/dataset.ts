// An image classification dataset: uint8 pixels, NCHW, and labels, either
// all in memory (IDX and CIFAR-10 files, tens of megabytes) or streamed (an
// image folder, which may hold a million photos: each image is read and
// decoded when a batch needs it, so memory holds a batch, not the folder).
// Parsers here take bytes, not paths (no Node API: a browser page can use
// them on fetched data); src/cli/datasets.ts reads the files.

/** Images [n, channels, height, width] as bytes 0-255, row-major, with integer labels. */
export interface ImageDataset {
  readonly name: string;
  readonly n: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  /** Every image, [n, C, H, W], when the dataset is in memory; absent when it is streamed (see `load`). */
  readonly images?: Uint8Array;
  /** A streamed dataset's image i, [C, H, W], read when called (imageAt calls it). */
  readonly load?: (i: number) => Uint8Array;
  /** Class indices; 16 bits, so that ImageNet's 1000 classes (and up to 65,536) fit. */
  readonly labels: Uint16Array;
  readonly classes: number;
  readonly classNames?: readonly string[];
}

/** The ten classes of Fashion-MNIST, in label order. */
export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** The ten classes of CIFAR-10, in label order. */
export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** An IDX array (the MNIST file format): dimensions and unsigned bytes. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/**
 * Parses an IDX file of unsigned bytes (magic 0x00 0x00 0x08 ndims, then
 * ndims big-endian uint32 sizes, then the data). A wrong magic, another
 * element type, or a data length other than the header's gives an error
 * naming the file, never a partial array.
 */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    throw new Error(`${file}: not an IDX file (the first two bytes must be 0)`);
  }
  if (bytes[2] !== 0x08) throw new Error(`${file}: IDX element type 0x${bytes[2].toString(16)} is not supported (expected 0x08, unsigned byte)`);
  const nd = bytes[3];
  if (nd < 1 || bytes.length < 4 + 4 * nd) throw new Error(`${file}: truncated IDX header (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: nd }, (_, i) => view.getUint32(4 + 4 * i, false));
  const size = dims.reduce((a, b) => a * b, 1);
  const have = bytes.length - 4 - 4 * nd;
  if (have !== size) {
    throw new Error(`${file}: ${have < size ? 'truncated' : 'trailing bytes'}: the header [${dims.join(', ')}] needs ${size} bytes of data, the file has ${have}`);
  }
  return { dims, data: bytes.subarray(4 + 4 * nd) };
}

/** An image dataset from an IDX images file [n, h, w] and an IDX labels file [n]. */
export function idxDataset(name: string, images: IdxArray, labels: IdxArray, files: [string, string], classNames?: readonly string[]): ImageDataset {
  if (images.dims.length !== 3) throw new Error(`${files[0]}: expected images [n, height, width], got [${images.dims.join(', ')}]`);
  if (labels.dims.length !== 1) throw new Error(`${files[1]}: expected labels [n], got [${labels.dims.join(', ')}]`);
  const [n, h, w] = images.dims;
  if (labels.dims[0] !== n) throw new Error(`${files[1]}: ${labels.dims[0]} labels for the ${n} images of ${files[0]}`);
  let classes = 0;
  for (const l of labels.data) classes = Math.max(classes, l + 1);
  if (classNames && classes > classNames.length) throw new Error(`${files[1]}: label ${classes - 1} is beyond the ${classNames.length} classes of ${name}`);
  return { name, n, channels: 1, height: h, width: w, images: images.data, labels: Uint16Array.from(labels.data), classes: classNames?.length ?? classes, classNames };
}

/**
 * Parses CIFAR-10 binary batches: records of 1 label byte and 3072 pixel
 * bytes (1024 red, 1024 green, 1024 blue, each 32 x 32 row-major), which is
 * NCHW already. A length that is not a whole number of records is an error naming the file.
 */
export function parseCifar10(batches: { file: string; bytes: Uint8Array }[], name = 'cifar-10'): ImageDataset {
  const rec = 1 + 3072;
  let n = 0;
  for (const b of batches) {
    if (b.bytes.length === 0 || b.bytes.length % rec !== 0) {
      throw new Error(`${b.file}: ${b.bytes.length} bytes is not a whole number of CIFAR-10 records (${rec} bytes each)`);
    }
    n += b.bytes.length / rec;
  }
  const images = new Uint8Array(n * 3072), labels = new Uint16Array(n);
  let i = 0;
  for (const b of batches) {
    for (let off = 0; off < b.bytes.length; off += rec, i++) {
      labels[i] = b.bytes[off];
      if (labels[i] > 9) throw new Error(`${b.file}: record ${off / rec} has label ${labels[i]}, expected 0-9`);
      images.set(b.bytes.subarray(off + 1, off + rec), i * 3072);
    }
  }
  return { name, n, channels: 3, height: 32, width: 32, images, labels, classes: 10, classNames: CIFAR10_CLASSES };
}

/** Image i of a dataset, [C, H, W]: a view of the array in memory, or read by a streamed dataset's loader. */
export function imageAt(d: ImageDataset, i: number): Uint8Array {
  const size = d.channels * d.height * d.width;
  if (d.images) return d.images.subarray(i * size, (i + 1) * size);
  if (!d.load) throw new TypeError(`${d.name}: a dataset needs images or load`);
  const img = d.load(i);
  if (img.length !== size) throw new RangeError(`${d.name}: image ${i} has ${img.length} bytes, expected ${d.channels} x ${d.height} x ${d.width} = ${size}`);
  return img;
}

/** The examples [from, to) of a dataset, sharing its memory or its loader (for a validation split). */
export function sliceDataset(d: ImageDataset, from: number, to: number, name = d.name): ImageDataset {
  const size = d.channels * d.height * d.width, load = d.load;
  return {
    ...d, name, n: to - from, labels: d.labels.subarray(from, to),
    images: d.images?.subarray(from * size, to * size), load: load && ((i: number) => load(from + i)),
  };
}
