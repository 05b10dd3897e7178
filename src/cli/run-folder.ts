// A training's run folder (runs/latest by default), as `alexnet train`
// keeps it: the lock that gives the folder to one training at a time, the
// settings a run must be resumed with, the log brought in line with the
// checkpoint on resume, and reading a checkpoint (also for `eval` and
// `neighbours`).

import { closeSync, existsSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { type Checkpoint, decodeCheckpoint } from '../nn/checkpoint.js';
import type { EpochRecord, TrainerState } from '../nn/trainer.js';
import { processAlive, readJsonLines, writeAtomic } from './files.js';

/**
 * Brings a resumed run's log.jsonl in line with its checkpoint: the epochs the
 * checkpoint holds, each once. A line cut short by a crash is dropped (with a
 * notice), lines past the checkpoint's epoch are dropped (an epoch whose
 * checkpoint was never written), and an epoch the checkpoint holds but the log
 * lost (a crash between the two writes) is restored from the checkpoint's
 * history. Rewritten atomically, so that appends start on a whole line.
 */
export function repairLog(path: string, trainer: TrainerState, notice: (s: string) => void): void {
  const logged = existsSync(path) ? readJsonLines<EpochRecord & { time?: string }>(path, notice) : [];
  const byEpoch = new Map(logged.filter((r) => r.epoch <= trainer.epoch).map((r) => [r.epoch, r]));
  const lines = trainer.history.map((h) => byEpoch.get(h.epoch) ?? h);
  const restored = trainer.history.filter((h) => !byEpoch.has(h.epoch)).length, dropped = logged.length - byEpoch.size;
  if (restored || dropped) notice(`${path}: ${restored ? `${restored} epoch${restored > 1 ? 's' : ''} restored from the checkpoint` : ''}${restored && dropped ? ', ' : ''}${dropped ? `${dropped} line${dropped > 1 ? 's' : ''} past its epoch ${trainer.epoch} dropped` : ''}`);
  writeAtomic(path, lines.map((r) => `${JSON.stringify(r)}\n`).join(''));
}

/** Reads a checkpoint file. */
export function readCheckpoint(path: string): Checkpoint {
  if (!existsSync(path)) throw new Error(`no checkpoint at ${path}`);
  const b = readFileSync(path);
  return decodeCheckpoint(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), path);
}

/**
 * What a run was started with and must be resumed with: everything that
 * decides its data, network and schedule. (--epochs may grow; how it runs,
 * --backend and --partitions, may change; the rest must not.)
 */
export const SETTINGS = ['config', 'init-from', 'classes', 'prototxt', 'data', 'val', 'limit', 'seed', 'batch', 'lr', 'patience', 'min-delta', 'checks', 'ten-crop', 'input-scale', 'init-std', 'bias-one', 'widths', 'fc', 'dropout', 'pad'] as const;
/** A run's settings by flag name, as its checkpoint and result.json record them. */
export type Settings = Partial<Record<(typeof SETTINGS)[number], unknown>>;

/** Whether two settings are the same value (as JSON). */
export function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A lock file naming the training that holds a folder; a stale one (its process gone) is replaced. */
export function takeLock(out: string, log: (s: string) => void): () => void {
  const path = join(out, '.lock');
  const me = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
  // Interrupted: exit as the signal would (128 + its number), through 'exit', which releases the lock
  // (without a handler a signal ends the process without the 'exit' event). Installed before the lock file
  // exists, so that no signal can arrive between the two and leave the lock behind.
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) process.once(sig, () => process.exit(code));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      let held = true;
      const release = () => {
        if (!held) return;
        held = false;
        try { unlinkSync(path); } catch { /* already gone */ }
      };
      process.once('exit', release);
      return release;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`${path}: cannot create the lock file (${(e as Error).message})`);
      let holder: { pid?: number; host?: string; started?: string } = {};
      try { holder = JSON.parse(readFileSync(path, 'utf8')); } catch { /* unreadable: treated as stale */ }
      const alive = holder.host === me.host && Number.isInteger(holder.pid) && processAlive(holder.pid!);
      if (alive || (holder.host !== undefined && holder.host !== me.host)) {
        throw new Error(`${out} is being written by another training (pid ${holder.pid} on ${holder.host}, started ${holder.started}; lock file ${path})`);
      }
      log(`removing the stale lock ${path} of pid ${holder.pid ?? '?'}, which is no longer running`);
      unlinkSync(path);
    }
  }
  throw new Error(`${path}: could not take the lock`);
}

/** The settings of a checkpoint written before they were recorded: what its names and options tell. */
export function legacySettings(ck: Checkpoint): Settings {
  const lim = /\[0:(\d+)\]$/.exec(String(ck.meta.train ?? '')), val = /\[-(\d+):\]$/.exec(String(ck.meta.val ?? ''));
  return {
    config: ck.config.name, data: ck.meta.data, seed: ck.meta.seed, val: val ? Number(val[1]) : undefined, limit: lim ? Number(lim[1]) : undefined,
    batch: ck.options.batchSize, lr: ck.options.lr, patience: ck.options.patience, 'min-delta': ck.options.minDelta, checks: ck.options.checksPerEpoch ?? 1, pad: ck.options.augment.pad,
  };
}
