// A picture as the page and the command line both draw it: RGBA bytes and
// the captions to write over them (a <canvas> in the browser, a PNG through
// pureimage in Node: src/cli/plots.ts writeMosaicPng).

/** An RGBA picture, row-major, and the captions placed on it. */
export interface Mosaic {
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
  captions: { text: string; x: number; y: number }[];
}
