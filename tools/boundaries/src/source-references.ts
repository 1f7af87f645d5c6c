// What one TypeScript file refers to, read from its syntax tree so that comments and
// strings which merely look like imports don't count: the modules it imports or re-exports
// (static, dynamic and type-only) and the built entries it names as string literals.
import ts from 'typescript';

export interface ModuleReference {
  specifier: string;
  /** The names taken from the module; `*` for a namespace, a side effect or a dynamic import. */
  names: string[];
  /** Set on a re-export: the names this file exports them as, in the same order. */
  exportedAs?: string[];
}

export interface FileReferences {
  modules: ModuleReference[];
  /** Entries such as `services/lead/dist/main.js`; a `${…}` part reads as `*`. */
  entries: string[];
}

const ENTRY = /^(?:libs|services|tools)\/[^/]+\/dist(?:\/|$)/;

export function readReferences(fileName: string, text: string): FileReferences {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest);
  const modules: ModuleReference[] = [];
  const entries: string[] = [];
  const visit = (node: ts.Node): void => {
    const module = moduleReference(node);
    if (module) modules.push(module);
    const literal = literalText(node);
    if (literal !== undefined && ENTRY.test(literal)) entries.push(literal);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { modules, entries };
}

function moduleReference(node: ts.Node): ModuleReference | undefined {
  if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
    return { specifier: node.moduleSpecifier.text, names: importedNames(node.importClause) };
  }
  if (
    ts.isExportDeclaration(node) &&
    node.moduleSpecifier &&
    ts.isStringLiteral(node.moduleSpecifier)
  ) {
    const clause = node.exportClause;
    if (!clause || !ts.isNamedExports(clause)) {
      return { specifier: node.moduleSpecifier.text, names: ['*'], exportedAs: ['*'] };
    }
    return {
      specifier: node.moduleSpecifier.text,
      names: clause.elements.map((e) => (e.propertyName ?? e.name).text),
      exportedAs: clause.elements.map((e) => e.name.text),
    };
  }
  if (
    ts.isCallExpression(node) &&
    node.expression.kind === ts.SyntaxKind.ImportKeyword &&
    node.arguments[0] &&
    ts.isStringLiteral(node.arguments[0])
  ) {
    return { specifier: node.arguments[0].text, names: ['*'] };
  }
  if (
    ts.isImportTypeNode(node) &&
    ts.isLiteralTypeNode(node.argument) &&
    ts.isStringLiteral(node.argument.literal)
  ) {
    return { specifier: node.argument.literal.text, names: ['*'] };
  }
  return undefined;
}

function importedNames(clause: ts.ImportClause | undefined): string[] {
  if (!clause) return ['*'];
  const names = clause.name ? ['default'] : [];
  const bindings = clause.namedBindings;
  if (bindings && ts.isNamespaceImport(bindings)) return ['*'];
  if (bindings) names.push(...bindings.elements.map((e) => (e.propertyName ?? e.name).text));
  return names;
}

function literalText(node: ts.Node): string | undefined {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node)) {
    return node.head.text + node.templateSpans.map((s) => `*${s.literal.text}`).join('');
  }
  return undefined;
}
