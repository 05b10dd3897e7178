// The most a file may make the program allocate, whatever its header says.
// A file's declared sizes are checked against these before anything is
// allocated or decoded, so that a small hostile file (a 1.5 MB gzip that
// inflates to a gigabyte, a 69-byte PNG that claims 20000 x 20000 pixels)
// is refused with its name instead of taking the machine's memory.
//
// Defaults fit every real dataset and photo this project reads, with room:
// Fashion-MNIST's largest file inflates to 47 MB, EMNIST's to 550 MB; a
// 64-megapixel photo is 256 MB as RGBA. One limit is not of a file but of a
// dataset's size: the nearest-neighbour search (Figure 4) holds every searched
// image's features, 2 GiB by default (Fashion-MNIST's 60,000 at 256 values
// take 61 MB; ImageNet's 1.28 M at 4,096 would take 19.5 GiB). Override them
// in code (setLimits) or from the environment (ALEXNET_MAX_INFLATED_BYTES,
// ALEXNET_MAX_IMAGE_SIDE, ALEXNET_MAX_IMAGE_PIXELS, ALEXNET_MAX_FEATURE_BYTES),
// e.g. for a dataset larger than a gigabyte.

/** The allocation limits readers enforce. */
export interface Limits {
  /** Bytes a compressed file (gzip IDX) may inflate to. */
  maxInflatedBytes: number;
  /** Width or height of an image, in pixels. */
  maxImageSide: number;
  /** Width times height of an image. */
  maxImagePixels: number;
  /** Bytes of features the nearest-neighbour search may hold (4 per value). */
  maxFeatureBytes: number;
}

/** The defaults: 1 GiB inflated, 32768 pixels a side, 64 megapixels, 2 GiB of features. */
export const DEFAULT_LIMITS: Readonly<Limits> = { maxInflatedBytes: 2 ** 30, maxImageSide: 32768, maxImagePixels: 64e6, maxFeatureBytes: 2 ** 31 };

const ENV: Record<keyof Limits, string> = {
  maxInflatedBytes: 'ALEXNET_MAX_INFLATED_BYTES', maxImageSide: 'ALEXNET_MAX_IMAGE_SIDE', maxImagePixels: 'ALEXNET_MAX_IMAGE_PIXELS',
  maxFeatureBytes: 'ALEXNET_MAX_FEATURE_BYTES',
};

function checked(l: Partial<Limits>, where: (k: keyof Limits) => string): Partial<Limits> {
  for (const [k, v] of Object.entries(l) as [keyof Limits, number][]) {
    if (!Number.isSafeInteger(v) || v < 1) throw new Error(`${where(k)} must be a positive integer, got ${JSON.stringify(v)}`);
  }
  return l;
}

function fromEnvironment(): Partial<Limits> {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
  const out: Partial<Limits> = {};
  for (const [k, name] of Object.entries(ENV) as [keyof Limits, string][]) {
    const raw = env[name];
    if (raw === undefined) continue;
    if (!/^\s*[1-9]\d*\s*$/.test(raw)) throw new Error(`${name} must be a positive integer, got '${raw}'`);
    out[k] = Number(raw);
  }
  return checked(out, (k) => ENV[k]);
}

// Read from the environment on first use (not at import), so that a bad value is an error of the command that meets it.
let current: Limits | undefined;

/** The limits in force. */
export function limits(): Readonly<Limits> {
  current ??= { ...DEFAULT_LIMITS, ...fromEnvironment() };
  return current;
}

/** Changes limits (the others stay); returns the previous ones, so that a caller can restore them. */
export function setLimits(l: Partial<Limits>): Limits {
  const before = { ...limits() };
  current = { ...before, ...checked(l, (k) => `setLimits: ${k}`) };
  return before;
}
