// Runs golden cases (the format and its comparison: golden-format.ts)
// through a Backend: every op's forward and backward, SGD steps and the
// whole tiny net, each tensor compared with the float64 reference.
//
// This file holds no Node APIs: the CLI reads the files, a browser page can
// fetch them, and both hand the parsed JSON to runGoldenFile().

import type { AwaitableBackend } from '../backend.js';
import { sizeOf } from '../cpu/tensor.js';
import { scaledPaperConfig } from './config.js';
import {
  type CaseResult, GOLDEN_TOLERANCE, type GoldenCase, type GoldenFile, type GoldenTensor, type TensorCheck, type Tolerance,
  checkGoldenTensor, compareTensor, input, num, numList, validateGoldenFile, want,
} from './golden-format.js';
import { backward, forward, uploadParams, type HostParams } from './model.js';

/** Runs one case on a backend and compares every expected tensor and gradient. */
export async function runGoldenCase<T>(be: AwaitableBackend<T>, c: GoldenCase, tol: Tolerance = GOLDEN_TOLERANCE): Promise<CaseResult> {
  const checks: TensorCheck[] = [];
  const up = (t: GoldenTensor) => be.upload(Float32Array.from(t.data), t.shape);
  // download() may hand out a buffer the backend later overwrites in place (the CPU's SGD step): copy it.
  const down = async (t: T) => Float32Array.from(await be.download(t));
  const checkHost = (name: string, got: ArrayLike<number>, exp: GoldenTensor) => checks.push(compareTensor(name, got, exp, tol));
  const check = async (name: string, got: T, exp: GoldenTensor): Promise<void> => { checkHost(name, await down(got), exp); };
  const dyOf = () => up(c.grad_output?.y !== undefined ? checkGoldenTensor(c.grad_output.y, `case ${c.id}: grad_output.y`) : want(c, 'expected', 'y'));
  try {
    switch (c.op) {
      case 'conv2d': {
        const p = { stride: num(c, 'stride'), pad: num(c, 'pad'), groups: num(c, 'groups') };
        if ((c.params?.dilation ?? 1) !== 1) throw new Error(`case ${c.id}: dilation ${c.params?.dilation} is not supported`);
        const x = await up(input(c, 'x')), w = await up(input(c, 'weight')), b = await up(input(c, 'bias'));
        await check('y', await be.conv2dForward(x, w, b, p), want(c, 'expected', 'y'));
        const g = await be.conv2dBackward(await dyOf(), x, w, p);
        await check('dx', g.dx, want(c, 'grads', 'x'));
        await check('dweight', g.dw, want(c, 'grads', 'weight'));
        await check('dbias', g.db, want(c, 'grads', 'bias'));
        break;
      }
      case 'maxpool2d': {
        const p = { kernel: num(c, 'kernel'), stride: num(c, 'stride'), pad: num(c, 'pad'), ceil: c.params?.ceil_mode === true };
        const x = await up(input(c, 'x'));
        const r = await be.maxpoolForward(x, p);
        await check('y', r.y, want(c, 'expected', 'y'));
        await check('dx', await be.maxpoolBackward(await dyOf(), r.cache, await be.shape(x)), want(c, 'grads', 'x'));
        break;
      }
      case 'lrn_paper':
      case 'lrn_torch':
      case 'lrn_caffe': {
        const p = {
          size: num(c, 'size'), alpha: num(c, 'alpha'), beta: num(c, 'beta'), k: num(c, 'k'),
          convention: c.op === 'lrn_paper' ? 'paper' as const : 'alpha/n' as const,
        };
        const x = await up(input(c, 'x'));
        const r = await be.lrnForward(x, p);
        await check('y', r.y, want(c, 'expected', 'y'));
        await check('dx', await be.lrnBackward(await dyOf(), x, r.cache, p), want(c, 'grads', 'x'));
        break;
      }
      case 'relu': {
        const x = await up(input(c, 'x'));
        await check('y', await be.reluForward(x), want(c, 'expected', 'y'));
        await check('dx', await be.reluBackward(await dyOf(), x), want(c, 'grads', 'x'));
        break;
      }
      case 'linear': {
        const x = await up(input(c, 'x')), w = await up(input(c, 'weight')), b = await up(input(c, 'bias'));
        await check('y', await be.linearForward(x, w, b), want(c, 'expected', 'y'));
        const g = await be.linearBackward(await dyOf(), x, w);
        await check('dx', g.dx, want(c, 'grads', 'x'));
        await check('dweight', g.dw, want(c, 'grads', 'weight'));
        await check('dbias', g.db, want(c, 'grads', 'bias'));
        break;
      }
      case 'softmax_cross_entropy': {
        const z = input(c, 'logits');
        const labels = Int32Array.from(input(c, 'labels').data);
        const r = await be.softmaxCrossEntropy(await up(z), labels);
        checkHost('loss_mean', [r.loss], want(c, 'expected', 'loss_mean'));
        if (c.expected?.loss_sum) checkHost('loss_sum', [r.loss * z.shape[0]], want(c, 'expected', 'loss_sum'));
        if (c.expected?.probs) await check('probs', r.probs, want(c, 'expected', 'probs'));
        await check('dlogits', r.dlogits, want(c, 'grads', 'logits'));
        break;
      }
      case 'momentum_sgd_paper': {
        const lrs = numList(c, 'lrs');
        const sgd = { momentum: num(c, 'momentum'), weightDecay: num(c, 'weight_decay') };
        let w: T = await up(input(c, 'w0')), v: T = await up(input(c, 'v0'));
        for (let k = 1; k <= lrs.length; k++) {
          [{ w, v }] = await be.sgdStep([{ name: 'w', w, v, g: await up(input(c, `g${k}`)) }], { ...sgd, lr: lrs[k - 1] });
          await check(`w${k}`, w, want(c, 'expected', `w${k}`));
          await check(`v${k}`, v, want(c, 'expected', `v${k}`));
        }
        break;
      }
      case 'momentum_sgd_paper_train': {
        const lrs = numList(c, 'lrs');
        const sgd = { momentum: num(c, 'momentum'), weightDecay: num(c, 'weight_decay') };
        const x = await up(input(c, 'x'));
        const labels = Int32Array.from(input(c, 'labels').data);
        let W: T = await up(input(c, 'W0')), b: T = await up(input(c, 'b0'));
        const zeros = async (t: T) => { const shape = await be.shape(t); return be.upload(new Float32Array(sizeOf(shape)), shape); };
        let vW: T = await zeros(W), vb: T = await zeros(b);
        for (let k = 1; k <= lrs.length; k++) {
          const r = await be.softmaxCrossEntropy(await be.linearForward(x, W, b), labels);
          const g = await be.linearBackward(r.dlogits, x, W);
          checkHost(`loss${k}`, [r.loss], want(c, 'expected', `loss${k}`));
          await check(`gW${k}`, g.dw, want(c, 'expected', `gW${k}`));
          await check(`gb${k}`, g.db, want(c, 'expected', `gb${k}`));
          [{ w: W, v: vW }, { w: b, v: vb }] = await be.sgdStep(
            [{ name: 'W', w: W, v: vW, g: g.dw }, { name: 'b', w: b, v: vb, g: g.db }], { ...sgd, lr: lrs[k - 1] });
          await check(`W${k}`, W, want(c, 'expected', `W${k}`));
          await check(`b${k}`, b, want(c, 'expected', `b${k}`));
        }
        break;
      }
      case 'alexnet_tiny_forward_backward':
        await runModelCase(be, c, check, checkHost, down);
        break;
      default:
        return { id: c.id, op: c.op, checks, pass: false, error: `unknown op '${c.op}'` };
    }
  } catch (e) {
    return { id: c.id, op: c.op, checks, pass: false, error: (e as Error).message };
  }
  if (checks.length === 0) return { id: c.id, op: c.op, checks, pass: false, error: 'the case compared no tensor' };
  return { id: c.id, op: c.op, checks, pass: checks.every((k) => k.pass) };
}

/** The whole-model case: a paper-topology net with small widths, no dropout, forward and backward. */
async function runModelCase<T>(
  be: AwaitableBackend<T>, c: GoldenCase,
  check: (name: string, got: T, exp: GoldenTensor) => Promise<void>,
  checkHost: (name: string, got: ArrayLike<number>, exp: GoldenTensor) => void,
  down: (t: T) => Promise<Float32Array>,
): Promise<void> {
  const hw = num(c, 'input_hw');
  const x = input(c, 'x');
  const config = {
    ...scaledPaperConfig({
      name: c.id, channels: numList(c, 'channels'), fc: numList(c, 'fc'), classes: num(c, 'classes'),
      inputSize: hw, inputChannels: x.shape[1],
    }),
    dropout: { rate: 0, mode: 'paper' as const },
  };
  const host: HostParams = new Map();
  for (const name of Object.keys(c.inputs)) {
    if (name !== 'x' && name !== 'labels') {
      const t = input(c, name);
      host.set(name, { data: Float32Array.from(t.data), shape: t.shape });
    }
  }
  const params = await uploadParams(be, config, host);
  const fwd = await forward(be, config, params, await be.upload(Float32Array.from(x.data), x.shape), { train: false, keepActivations: true });
  const labels = Int32Array.from(input(c, 'labels').data);
  const r = await be.softmaxCrossEntropy(fwd.logits, labels);
  await check('logits', fwd.logits, want(c, 'expected', 'logits'));
  checkHost('loss_mean', [r.loss], want(c, 'expected', 'loss_mean'));
  // Per-layer checksums locate where a mismatch starts; they are reported, and fail the case, only
  // for layers whose names mean the same thing in both nets (dropout sits elsewhere in the reference).
  for (const a of c.activations ?? []) {
    if (a.name.startsWith('drop')) continue;
    const t = fwd.activations?.get(a.name);
    if (t === undefined) continue;
    const d = await down(t);
    let s = 0;
    for (let i = 0; i < d.length; i++) s += Math.abs(d[i]);
    const err = Math.abs(s - a.sum_abs);
    const ok = d.length === sizeOf(a.shape) && err <= 1e-4 * Math.abs(a.sum_abs) + 1e-6;
    if (!ok) checkHost(`activation ${a.name} (sum |x|)`, [s], { shape: [], data: [a.sum_abs] });
  }
  const grads = await backward(be, params, fwd, r.dlogits);
  for (const name of Object.keys(c.grads ?? {})) {
    const got = grads.get(name);
    if (got === undefined) throw new Error(`case ${c.id}: the model has no gradient for ${name}`);
    await check(`d${name}`, got, want(c, 'grads', name));
  }
}

/** Runs every case of a parsed golden file; throws GoldenFileError if the file's structure is wrong. */
export async function runGoldenFile<T>(be: AwaitableBackend<T>, file: GoldenFile, tol: Tolerance = GOLDEN_TOLERANCE, source = 'golden file'): Promise<CaseResult[]> {
  const out: CaseResult[] = [];
  for (const c of validateGoldenFile(file, source).cases) out.push(await runGoldenCase(be, c, tol));
  return out;
}
