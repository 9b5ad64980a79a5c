/**
 * `node -r ts-node/register/transpile-only tools/function-lengths.ts [max] [dirs...]`: functions longer than
 * `max` lines (whole function: signature to closing brace), found with the TypeScript parser. The project
 * rule is no function over ~60 lines; test/style/function-length.test.ts holds the directories to it.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";

export interface LongFunction {
  file: string;
  line: number;
  name: string;
  lines: number;
}

function nameOf(n: ts.FunctionLikeDeclaration, sf: ts.SourceFile): string {
  if (ts.isConstructorDeclaration(n)) return "constructor";
  if (n.name) return n.name.getText(sf);
  if (ts.isVariableDeclaration(n.parent) || ts.isPropertyAssignment(n.parent)) return n.parent.name.getText(sf);
  return "<anonymous>";
}

export function longFunctions(file: string, max: number): LongFunction[] {
  const sf = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
  const out: LongFunction[] = [];
  const visit = (n: ts.Node) => {
    if (ts.isFunctionLike(n) && (n as ts.FunctionLikeDeclaration).body) {
      const start = sf.getLineAndCharacterOfPosition(n.getStart(sf)).line;
      const lines = sf.getLineAndCharacterOfPosition(n.getEnd()).line - start + 1;
      if (lines > max) out.push({ file, line: start + 1, name: nameOf(n as ts.FunctionLikeDeclaration, sf), lines });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

export function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) return e === "node_modules" ? [] : sourceFiles(p);
    return e.endsWith(".ts") && !e.endsWith(".d.ts") ? [p] : [];
  });
}

if (require.main === module) {
  const [max = "60", ...dirs] = process.argv.slice(2);
  const found = (dirs.length ? dirs : ["."]).flatMap(sourceFiles).flatMap((f) => longFunctions(f, Number(max)));
  for (const f of found) console.log(`${f.file}:${f.line} ${f.name} ${f.lines} lines`);
  process.exitCode = found.length ? 1 : 0;
}
