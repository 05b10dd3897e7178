// A tensor of the CPU reference: a flat, row-major typed array and its shape.
//
// Every layer works on Float32Array (normal use) and on Float64Array (gradient
// checks against finite differences): outputs take the element type of the
// first input, so a float64 check stays float64 from end to end.

/** The element types the CPU reference computes in. */
export type FloatArray = Float32Array | Float64Array;

/** A dense row-major tensor: `data[i0 * s0 + i1 * s1 + ...]` with shape `[d0, d1, ...]`. */
export interface Tensor<A extends FloatArray = FloatArray> {
  readonly data: A;
  readonly shape: readonly number[];
}

/** Number of elements of a shape (1 for a scalar, shape []). */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Formats a shape as `[2, 3, 7, 7]` for error messages. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Whether a typed array's memory is a SharedArrayBuffer (that a worker can read without a copy). */
export function isShared(a: FloatArray): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && a.buffer instanceof SharedArrayBuffer;
}

/** A zero-filled array of the same element type as `like`, in shared memory when `like` is. */
export function zerosLike<A extends FloatArray>(like: A, n: number): A {
  // A tensor in a SharedArrayBuffer begets shared tensors, so that the threads of gemm-threads.ts read a threaded
  // backend's activations and gradients where they lie, without a copy.
  if (isShared(like)) {
    const buf = new SharedArrayBuffer(n * like.BYTES_PER_ELEMENT);
    return (like instanceof Float64Array ? new Float64Array(buf) : new Float32Array(buf)) as A;
  }
  return (like instanceof Float64Array ? new Float64Array(n) : new Float32Array(n)) as A;
}

/** A zero-filled Int32Array (indices such as pooling's argmax), in shared memory when `like` is. */
export function int32Like(like: FloatArray, n: number): Int32Array<ArrayBufferLike> {
  return isShared(like) ? new Int32Array(new SharedArrayBuffer(4 * n)) : new Int32Array(n);
}

/** Wraps data and shape into a tensor, checking that they agree. */
export function tensor<A extends FloatArray>(data: A, shape: readonly number[]): Tensor<A> {
  const n = sizeOf(shape);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new RangeError(`tensor: shape ${fmtShape(shape)} must hold non-negative integers`);
    }
  }
  if (data.length !== n) {
    throw new RangeError(`tensor: data has ${data.length} elements but shape ${fmtShape(shape)} needs ${n}`);
  }
  return { data, shape: [...shape] };
}

/** A zero tensor of the given shape, with the element type of `like`. */
export function zeros<A extends FloatArray>(like: A, shape: readonly number[]): Tensor<A> {
  return { data: zerosLike(like, sizeOf(shape)), shape: [...shape] };
}

/** The same data seen with another shape of equal size (flatten before fc6, say). */
export function reshape<A extends FloatArray>(t: Tensor<A>, shape: readonly number[]): Tensor<A> {
  if (sizeOf(shape) !== t.data.length) {
    throw new RangeError(`reshape: cannot view ${fmtShape(t.shape)} (${t.data.length} elements) as ${fmtShape(shape)}`);
  }
  return { data: t.data, shape: [...shape] };
}

/** Throws unless `t` is a tensor of rank `rank`; names the argument. */
export function expectRank(fn: string, name: string, t: Tensor, rank: number, layout: string): void {
  if (t == null || t.data == null || t.shape == null) {
    throw new TypeError(`${fn}: ${name} must be a tensor {data, shape}, got ${String(t)}`);
  }
  if (!(t.data instanceof Float32Array || t.data instanceof Float64Array)) {
    throw new TypeError(`${fn}: ${name}.data must be a Float32Array or Float64Array`);
  }
  if (t.shape.length !== rank) {
    throw new RangeError(`${fn}: ${name} has shape ${fmtShape(t.shape)}, expected rank ${rank} ${layout}`);
  }
  if (t.data.length !== sizeOf(t.shape)) {
    throw new RangeError(`${fn}: ${name} has ${t.data.length} elements but its shape ${fmtShape(t.shape)} needs ${sizeOf(t.shape)}`);
  }
}

/** Throws unless `t` has exactly the shape `expected`; names the argument. */
export function expectShape(fn: string, name: string, t: Tensor, expected: readonly number[]): void {
  expectRank(fn, name, t, expected.length, fmtShape(expected));
  for (let i = 0; i < expected.length; i++) {
    if (t.shape[i] !== expected[i]) {
      throw new RangeError(`${fn}: ${name} has shape ${fmtShape(t.shape)}, expected ${fmtShape(expected)}`);
    }
  }
}

/** Throws unless `v` is an integer within [min, max]; names the parameter. */
export function expectInt(fn: string, name: string, v: number, min: number, max = Infinity): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    const range = max === Infinity ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`;
    throw new RangeError(`${fn}: ${name} must be ${range}, got ${v}`);
  }
}

/** Throws unless `v` is a finite number within [min, max]; names the parameter. */
export function expectNumber(fn: string, name: string, v: number, min = -Infinity, max = Infinity): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new RangeError(`${fn}: ${name} must be a finite number in [${min}, ${max}], got ${v}`);
  }
}

/** The error for a NaN or infinite value where none may be (logits, gradients): training code can tell it apart. */
export class NonFiniteError extends RangeError {
  override name = 'NonFiniteError';
}

/** Throws NonFiniteError if any element of `t` is NaN or infinite; used on inputs that must not propagate NaN. */
export function expectFinite(fn: string, name: string, t: Tensor): void {
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i])) {
      throw new NonFiniteError(`${fn}: ${name} holds a non-finite value (${d[i]}) at flat index ${i} of shape ${fmtShape(t.shape)}`);
    }
  }
}
