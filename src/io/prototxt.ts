// Protocol buffers' text format (what Caffe's .prototxt files are), parsed
// into the plain object protobufjs's toObject gives for the binary form of
// the same message, so that one mapping reads both. Written by hand:
// protobufjs parses .proto schemas but not text-format messages, and the
// grammar Caffe's files use is small:
//   message := field*        field := name ':' scalar | name ':'? '{' message '}'
//   scalar  := number | identifier (an enum value, true, false) | "string" | 'string'
// with '#' comments. Repeated fields come out as arrays, others as their last value.

import type protobuf from 'protobufjs';
import { FormatError } from './tensors.js';

type Token = { kind: 'name' | 'string' | 'punct'; text: string; line: number };

function tokens(text: string, source: string): Token[] {
  const out: Token[] = [];
  const re = /\s+|#[^\n]*|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|([{}:;,<>\[\]])|([^\s{}:;,<>\[\]"'#]+)/gy;
  let line = 1, m: RegExpExecArray | null;
  while (re.lastIndex < text.length) {
    const at = re.lastIndex;
    m = re.exec(text);
    if (!m) throw new FormatError(`${source}:${line}: unexpected character ${JSON.stringify(text[at])}`);
    if (m[1]) out.push({ kind: 'string', text: m[1].slice(1, -1).replace(/\\(.)/g, '$1'), line });
    else if (m[2]) out.push({ kind: 'punct', text: m[2], line });
    else if (m[3]) out.push({ kind: 'name', text: m[3], line });
    line += (m[0].match(/\n/g) ?? []).length;
  }
  return out;
}

/** Parses text-format `text` as a message of protobufjs type `type`; errors name `source` and the line. */
export function parseTextMessage(text: string, type: protobuf.Type, source: string): Record<string, unknown> {
  const toks = tokens(text, source);
  let i = 0;
  const fail = (msg: string, t = toks[i]): never => { throw new FormatError(`${source}:${t?.line ?? 'end'}: ${msg}`); };
  const message = (T: protobuf.Type, closing: string | null): Record<string, unknown> => {
    const obj: Record<string, unknown> = {};
    for (;;) {
      const t = toks[i];
      if (!t) { if (closing) fail(`missing '${closing}'`); return obj; }
      if (t.kind === 'punct' && t.text === closing) { i++; return obj; }
      if (t.kind === 'punct' && (t.text === ';' || t.text === ',')) { i++; continue; }
      if (t.kind !== 'name') fail(`expected a field name, got '${t.text}'`);
      const field = T.fields[t.text];
      if (!field) fail(`${T.name} has no field '${t.text}' (or alexnet-ts does not read it)`);
      i++;
      if (toks[i]?.text === ':') i++;
      field.resolve();
      let value: unknown;
      if (field.resolvedType && 'fields' in field.resolvedType) {
        const open = toks[i]?.text;
        if (open !== '{' && open !== '<') fail(`${t.text} is a message; expected '{'`);
        i++;
        value = message(field.resolvedType as protobuf.Type, open === '{' ? '}' : '>');
      } else {
        const v = toks[i++];
        if (!v || v.kind === 'punct') fail(`${t.text} needs a value`, v);
        if (field.resolvedType) value = v.text; // an enum, by name
        else if (field.type === 'string' || field.type === 'bytes') {
          if (v.kind !== 'string') fail(`${t.text} needs a quoted string, got ${v.text}`, v);
          value = v.text;
        } else if (field.type === 'bool') {
          if (!['true', 'false', '1', '0'].includes(v.text)) fail(`${t.text} needs true or false, got ${v.text}`, v);
          value = v.text === 'true' || v.text === '1';
        } else {
          value = Number(v.text);
          if (!Number.isFinite(value as number)) fail(`${t.text} needs a number, got ${v.text}`, v);
        }
      }
      if (field.repeated) ((obj[t.text] ??= []) as unknown[]).push(value);
      else obj[t.text] = value;
    }
  };
  return message(type, null);
}
