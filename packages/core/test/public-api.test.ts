/**
 * The public surface of @nncompress/core: a small main entry whose every name is documented,
 * subpath entries for the rest, and the names that moved still resolving from the main
 * entry with a warning that says where they went.
 */
import * as path from 'node:path';
import * as ts from 'typescript';
import * as root from '../src';
import { MOVED_EXPORTS } from '../src/moved';

const SRC = path.resolve(__dirname, '../src');
const ENTRIES = ['graph', 'model', 'training', 'importance', 'data', 'report', 'jobs', 'internal'];

/** The names a module's declarations export, and those among them without TSDoc. */
function exportedNames(file: string): { names: string[]; undocumented: string[] } {
  const program = ts.createProgram([file], { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, experimentalDecorators: true, skipLibCheck: true, noEmit: true, types: [] });
  const checker = program.getTypeChecker();
  const symbol = checker.getSymbolAtLocation(program.getSourceFile(file)!)!;
  const names: string[] = [];
  const undocumented: string[] = [];
  for (const exported of checker.getExportsOfModule(symbol)) {
    names.push(exported.name);
    const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const doc = ts.displayPartsToString(target.getDocumentationComment(checker));
    // A class or interface may be documented on its declaration; a re-exported namespace (tf) on its module.
    if (doc.trim().length === 0 && exported.name !== 'tf') undocumented.push(exported.name);
  }
  return { names, undocumented };
}

describe('the public API of @nncompress/core', () => {
  const main = exportedNames(path.join(SRC, 'index.ts'));

  it('keeps the main entry small, every name documented', () => {
    const values = Object.keys(root);
    // About thirty runtime names for a plugin author or a library user; the rest is under subpaths.
    expect(values.length).toBeGreaterThanOrEqual(25);
    expect(values.length).toBeLessThanOrEqual(36);
    expect(main.undocumented).toEqual([]);
  });

  it('has every subpath entry, and each moved name in the entry it points to', () => {
    for (const entry of ENTRIES) {
      const mod = require(path.join(SRC, 'entries', entry)) as Record<string, unknown>;
      expect(Object.keys(mod).length).toBeGreaterThan(0);
      for (const name of MOVED_EXPORTS[entry] ?? []) expect([entry, name, name in mod]).toEqual([entry, name, true]);
    }
  });

  it('resolves a moved name from the main entry to the same binding, once warning where it went, without listing it', () => {
    // Recorded, not printed: the test uses every moved name on purpose.
    const spy = jest.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      const moved = Object.entries(MOVED_EXPORTS).flatMap(([entry, names]) => names.map((name) => [entry, name] as const));
      expect(moved.length).toBeGreaterThan(50);
      for (const [entry, name] of moved) {
        const sub = require(path.join(SRC, 'entries', entry)) as Record<string, unknown>;
        expect((root as Record<string, unknown>)[name]).toBe(sub[name]);
        expect((root as Record<string, unknown>)[name]).toBe(sub[name]);
        expect(Object.keys(root)).not.toContain(name);
      }
      // One warning per name, however often it is used, naming the subpath.
      expect(spy).toHaveBeenCalledTimes(moved.length);
      expect(spy.mock.calls[0][0]).toBe(`${moved[0][1]} moved to @nncompress/core/${moved[0][0]}; importing it from @nncompress/core is deprecated`);
    } finally {
      spy.mockRestore();
    }
  });
});
