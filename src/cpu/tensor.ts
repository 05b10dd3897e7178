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
export function isShared(a: ArrayBufferView): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && a.buffer instanceof SharedArrayBuffer;
}

/** A zero-filled array of the same element type as `like`, in shared memory when `like` is. */
export function zerosLike<A extends FloatArray>(like: A, n: number): A {
  return arrayLike(like, n, true);
}

/**
 * An array like zerosLike's whose values are unspecified: for an op's output
 * that its kernel writes in full, every element whatever the data (ReLU,
 * LRN, max pooling's forward). A recycled shared array then comes back as it
 * was left instead of being zero-filled, which saves a pass over its memory
 * on the calling thread (issue 13: no re-zeroing that a step does not need).
 * New arrays are zero anyway. poisonRecycled(true) (the specs) fills
 * recycled arrays with NaN instead, so that an op reading what it did not
 * write shows it.
 */
export function emptyLike<A extends FloatArray>(like: A, n: number): A {
  return arrayLike(like, n, false);
}

let poison = false;

/** Whether emptyLike fills recycled arrays with NaN (for specs that check that an op writes its whole output); returns the previous setting. */
export function poisonRecycled(on: boolean): boolean {
  const was = poison;
  poison = on;
  return was;
}

function arrayLike<A extends FloatArray>(like: A, n: number, zero: boolean): A {
  // A tensor in a SharedArrayBuffer begets shared tensors, so that the threads of gemm-threads.ts read a threaded
  // backend's activations and gradients where they lie, without a copy.
  if (isShared(like)) {
    if (like instanceof Float32Array) {
      const reused = recycled.get(n)?.pop();
      if (reused) {
        recycledBytes -= 4 * n;
        if (zero) reused.fill(0);
        else if (poison) reused.fill(NaN);
        live.add(reused.buffer as SharedArrayBuffer);
        return reused as A;
      }
    }
    const buf = new SharedArrayBuffer(n * like.BYTES_PER_ELEMENT);
    live.add(buf);
    return (like instanceof Float64Array ? new Float64Array(buf) : new Float32Array(buf)) as A;
  }
  return (like instanceof Float64Array ? new Float64Array(n) : new Float32Array(n)) as A;
}

// Shared float32 arrays handed back by a threaded backend's dispose(), by length, for zerosLike to reuse.
// SharedArrayBuffers are collected late (their memory is outside the heap the collector watches: a threaded
// backend's training of the small net peaked at 1.9 GB without reuse), and fresh memory costs page faults on first
// touch. Only arrays zerosLike made and has not taken back (`live`) are taken, so a caller's own array, or one
// disposed twice, never enters the pool; at most RECYCLE_BYTES wait in it.
const live = new WeakSet<SharedArrayBuffer>();
const recycled = new Map<number, Float32Array<ArrayBufferLike>[]>();
let recycledBytes = 0;
const RECYCLE_BYTES = 512 * 2 ** 20;

/**
 * Hands a shared float32 array that zerosLike or emptyLike made (or an
 * emptyInt32Like view of one) back for reuse, once no tensor uses it (a
 * threaded backend's dispose). Anything else is ignored.
 */
export function recycleShared(a: FloatArray | Int32Array<ArrayBufferLike>): void {
  // An Int32Array from emptyInt32Like goes back as the float32 array it views.
  if (a instanceof Int32Array) a = new Float32Array(a.buffer, a.byteOffset, a.length);
  if (!(a instanceof Float32Array) || !isShared(a) || a.byteOffset !== 0 || a.byteLength !== a.buffer.byteLength) return;
  const buf = a.buffer as SharedArrayBuffer;
  if (!live.has(buf) || recycledBytes + a.byteLength > RECYCLE_BYTES) return;
  live.delete(buf);
  let list = recycled.get(a.length);
  if (!list) recycled.set(a.length, (list = []));
  list.push(a);
  recycledBytes += a.byteLength;
}

const scratch = new Map<string, FloatArray>();

/**
 * A working array of n values for an op's own use (conv2d's column
 * matrices), of the kind of `like` (element type, shared or not), reused from
 * call to call: one per slot and kind, grown as needed. Its values are
 * whatever the last call left: the op must write (or zero) every value it
 * reads. Fresh arrays each call cost page faults on first touch, and
 * SharedArrayBuffers are collected late (a threaded backend's training
 * reached 1.9 GB with them). Ops are synchronous, so no two calls on one
 * thread share a slot at once.
 */
export function scratchLike<A extends FloatArray>(like: A, n: number, slot: string): A {
  const key = `${slot} ${like instanceof Float64Array ? 'f64' : 'f32'} ${isShared(like) ? 'shared' : 'own'}`;
  let buf = scratch.get(key);
  if (!buf || buf.length < n) {
    buf = zerosLike(like, n);
    scratch.set(key, buf);
  }
  return buf.subarray(0, n) as A;
}

/**
 * An Int32Array of n unspecified values for indices an op writes in full
 * (max pooling's winners): with a threaded backend, a view of an emptyLike
 * float32 array, so it is reused through recycleShared like the activations
 * (a fresh SharedArrayBuffer per forward pass cost 0.4-0.7 ms of allocation
 * for the small net's first pooling, and such buffers are collected late).
 */
export function emptyInt32Like(like: FloatArray, n: number): Int32Array<ArrayBufferLike> {
  if (!(like instanceof Float32Array) || !isShared(like)) return int32Like(like, n);
  return new Int32Array(emptyLike(like, n).buffer, 0, n);
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

/** A tensor of this shape for an op's output that its kernel writes in full: see emptyLike. */
export function empty<A extends FloatArray>(like: A, shape: readonly number[]): Tensor<A> {
  return { data: emptyLike(like, sizeOf(shape)), shape: [...shape] };
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
