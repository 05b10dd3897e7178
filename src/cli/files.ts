// Files a run writes, written so that a crash (a kill, a full disk, a power
// cut) never leaves one that a reader would trust wrongly:
//
// - whole files (checkpoint.bin, result.json, exported weights) through
//   writeAtomic: a temporary file beside the target, flushed to disk, then
//   renamed over it; a reader sees the old file or the new one, never half.
//   A killed write leaves its temporary file (NAME.tmp-PID); the next run in
//   the folder removes those whose process is gone (removeStaleTemps).
// - logs (log.jsonl) as whole lines, each appended and flushed; a reader
//   (readJsonLines) ignores a last line cut short, with a notice, and refuses
//   a broken line anywhere else, naming it.

import { closeSync, existsSync, fsyncSync, openSync, readFileSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** The temporary name writeAtomic writes through: NAME.tmp-PID. */
const TEMP = /\.tmp-(\d+)$/;

/** Writes bytes (or text) to path atomically: a temporary file in the same folder, flushed, then renamed over path. */
export function writeAtomic(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    // writeSync may write less than asked (large buffers): loop until all is written.
    for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at, bytes.length - at);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (e) {
    unlinkSync(tmp);
    throw new Error(`cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Whether a process with this id is running on this machine (signal 0 asks without sending one). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, owned by another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the temporary files of killed writes in `dir` (NAME.tmp-PID whose process is gone); returns their names. */
export function removeStaleTemps(dir: string, notice: (s: string) => void): string[] {
  if (!existsSync(dir)) return [];
  const removed: string[] = [];
  for (const f of readdirSync(dir)) {
    const m = TEMP.exec(f);
    if (!m || Number(m[1]) === process.pid || processAlive(Number(m[1]))) continue;
    unlinkSync(join(dir, f));
    removed.push(f);
  }
  if (removed.length) notice(`removed ${removed.length} temporary file${removed.length > 1 ? 's' : ''} of an interrupted write in ${dir}: ${removed.join(', ')}`);
  return removed;
}

/** Appends one record as a JSON line, flushed to disk before returning. */
export function appendJsonLine(path: string, record: unknown): void {
  const fd = openSync(path, 'a');
  try {
    writeSync(fd, `${JSON.stringify(record)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * The records of a JSON-lines file. A last line without its newline, or that
 * does not parse, is a write a crash cut short: ignored, with a notice. A
 * line before it that does not parse is an error naming the file and line.
 */
export function readJsonLines<T>(path: string, notice: (s: string) => void): T[] {
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const complete = text.endsWith('\n') || text === '';
  const out: T[] = [];
  lines.forEach((line, i) => {
    if (i === lines.length - 1 && line === '') return;
    const last = i === lines.length - 1 || (i === lines.length - 2 && lines[lines.length - 1] === '');
    if (line.trim() === '') return;
    try {
      out.push(JSON.parse(line) as T);
      if (last && !complete) notice(`${path}: line ${i + 1} has no newline (a write cut short?); read as it is`);
    } catch {
      if (last) notice(`${path}: line ${i + 1} is incomplete (a write cut short by a crash?); ignored`);
      else throw new Error(`${path}: line ${i + 1} is not JSON: ${JSON.stringify(line.slice(0, 60))}`);
    }
  });
  return out;
}
