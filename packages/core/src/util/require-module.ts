/**
 * Loads a CommonJS module from a path; `.ts`/`.mts` files are transpiled on the fly with
 * TypeScript (an optional peer dependency) so typed configs and plugins run without a build.
 */
import * as fs from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';

interface Diagnostic {
  readonly start?: number;
  readonly messageText: string | { readonly messageText: string };
}
type TranspileModule = (source: string, options: { compilerOptions: Record<string, unknown>; fileName: string; reportDiagnostics: boolean }) => { outputText: string; diagnostics?: readonly Diagnostic[] };

let tsHookInstalled = false;

function installTsHook(): void {
  if (tsHookInstalled) return;
  const extensions = (Module as unknown as { _extensions: Record<string, (m: NodeModule, f: string) => void> })._extensions;
  if (extensions['.ts']) {
    tsHookInstalled = true; // someone (ts-node, jest) already handles .ts
    return;
  }
  let transpile: TranspileModule;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    transpile = (require('typescript') as { transpileModule: TranspileModule }).transpileModule;
  } catch {
    throw new Error('loading a .ts file needs the "typescript" package; install it (npm i -D typescript) or use a .js/.yaml file');
  }
  extensions['.ts'] = (m: NodeModule, filename: string) => {
    const source = fs.readFileSync(filename, 'utf8');
    const out = transpile(source, {
      fileName: filename,
      reportDiagnostics: true,
      compilerOptions: { module: 1 /* CommonJS */, target: 9 /* ES2022 */, esModuleInterop: true, experimentalDecorators: true },
    });
    // Syntax errors are reported, not transpiled into something else that then runs.
    const [first] = out.diagnostics ?? [];
    if (first) {
      const line = first.start === undefined ? '' : `:${source.slice(0, first.start).split('\n').length}`;
      throw new SyntaxError(`${filename}${line}: ${typeof first.messageText === 'string' ? first.messageText : first.messageText.messageText}`);
    }
    (m as unknown as { _compile(code: string, file: string): void })._compile(out.outputText, filename);
  };
  tsHookInstalled = true;
}

export function requireModule(file: string): unknown {
  const abs = path.resolve(file);
  if (/\.m?ts$/.test(abs)) installTsHook();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(abs);
}
