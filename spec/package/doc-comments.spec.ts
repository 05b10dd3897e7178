// Every public declaration of src/ carries a doc comment (the project's
// standard: "every public function has a TypeScript type and a one-line doc
// comment"; typedoc's API reference, `npm run docs`, shows them). Public here
// means exported at the top level of a module (functions, classes,
// constants, interfaces, type aliases) and the public methods of an exported
// class that implements no interface (a class that implements one, like
// SingleNet for Net, inherits its members' comments from it). Read with the
// TypeScript compiler's parser, so a comment that is not JSDoc (`//`) does
// not count. And typedoc itself must build the reference without a warning.

import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Every .ts file under dir (no declaration files). */
function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

const hasModifier = (n: ts.Node, kind: ts.SyntaxKind) => (ts.canHaveModifiers(n) ? ts.getModifiers(n) : undefined)?.some((m) => m.kind === kind) ?? false;
const documented = (n: ts.Node) => ts.getJSDocCommentsAndTags(n).length > 0;

/** 'file:line name' for each public declaration of a source text without a doc comment. */
export function undocumented(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const at = (n: ts.Node, name: string) => `${file}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1} ${name}`;
  const out: string[] = [];
  for (const st of sf.statements) {
    if (!hasModifier(st, ts.SyntaxKind.ExportKeyword)) continue;
    if (ts.isVariableStatement(st)) {
      // `export const A = 1, B = 2;` is one statement: its comment covers every name in it.
      if (!documented(st.declarationList.declarations[0])) out.push(at(st, st.declarationList.declarations.map((d) => d.name.getText(sf)).join(', ')));
    } else if (ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st) || ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st) || ts.isEnumDeclaration(st)) {
      if (!documented(st)) out.push(at(st, st.name?.text ?? 'default'));
      if (ts.isClassDeclaration(st) && !st.heritageClauses?.some((h) => h.token === ts.SyntaxKind.ImplementsKeyword)) {
        for (const m of st.members) {
          if (!(ts.isMethodDeclaration(m) || ts.isGetAccessor(m)) || ts.isPrivateIdentifier(m.name)) continue;
          if (hasModifier(m, ts.SyntaxKind.PrivateKeyword) || hasModifier(m, ts.SyntaxKind.ProtectedKeyword)) continue;
          if (!documented(m)) out.push(at(m, `${st.name?.text}.${m.name.getText(sf)}`));
        }
      }
    }
  }
  return out;
}

test('the check finds what it should: an undocumented export, method and constant; not a documented one or a private method', () => {
  const text = [
    '/** Documented. */', 'export function a(): void {}',
    'export function b(): void {}',
    '// a line comment is not a doc comment', 'export const C = 1, D = 2;',
    '/** A class. */', 'export class E {', '  /** Fine. */', '  f(): void {}', '  g(): void {}', '  private h(): void {}', '}',
    'function local(): void {}',
  ].join('\n');
  assert.equal(undocumented('x.ts', text), ['x.ts:3 b', 'x.ts:5 C, D', 'x.ts:10 E.g']);
});

test('every public declaration in src/ has a doc comment', () => {
  const missing = tsFiles(join(root, 'src')).flatMap((f) => undocumented(relative(root, f), readFileSync(f, 'utf8')));
  assert.equal(missing, [], `public declarations without a /** doc comment */:\n${missing.join('\n')}`);
});

test('typedoc builds the API reference without a warning: no public signature names a type the entries do not export', () => {
  // A type that a public signature uses but no entry exports cannot be named by a user's code (\`import type\`) and
  // is missing from the reference; typedoc warns of each. --emit none: the check, not the HTML (npm run docs).
  const r = spawnSync(process.execPath, [join(root, 'node_modules/typedoc/bin/typedoc'), '--emit', 'none', '--treatWarningsAsErrors'], { cwd: root, encoding: 'utf8' });
  assert.is(r.status, 0, `typedoc:\n${r.stdout}${r.stderr}`);
});

test.run();
