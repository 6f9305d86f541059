/**
 * What of a file the type-check of other files can see, for watch mode: when an edit leaves it
 * unchanged, only the edited file's diagnostics can change, so only that file is checked again
 * (native.ts). TypeScript's own watch mode decides the same way, by comparing the declarations a
 * file would emit before and after; the native checker's API cannot emit them, and printing the
 * exported types through it took ~300 ms for one team file of the benchmark, as long as checking
 * the file.
 *
 * So the shape is the file's text, less the parts whose types no other file can see: the
 * arguments of the DSL's calls whose result type does not depend on them.
 * - `policy<S, X>(fn)`, with its type arguments written: its type is `PolicyFn<S, X>` whatever
 *   `fn` is. This is where a team's calls, routes and ingress are written.
 * - `defineMesh(spec, ...policies)`: its type is `Mesh<S, X>`, inferred from `spec` only (the
 *   policies' parameter types are `NoInfer`), so the policies after `spec` are left out.
 *
 * Each of these has a single signature in the DSL, so no argument can choose another. A call only
 * counts when its callee is a named import from "meshc" and the file declares nothing else of that
 * name, anywhere (a declaration that conflicts with the import is an error, but which one the call
 * then means is the checker's choice); and the search for calls does not enter functions, blocks
 * or classes.
 */
import { SyntaxKind, type CallExpression, type ImportDeclaration, type ImportSpecifier, type Node, type SourceFile } from "typescript-native/unstable/ast";

/** Where the DSL's opaque calls can be found: nodes that introduce no names of their own. */
const TRANSPARENT: ReadonlySet<SyntaxKind> = new Set([
  SyntaxKind.VariableStatement,
  SyntaxKind.VariableDeclarationList,
  SyntaxKind.VariableDeclaration,
  SyntaxKind.ExportAssignment,
  SyntaxKind.ExpressionStatement,
  SyntaxKind.CallExpression,
  SyntaxKind.ParenthesizedExpression,
  SyntaxKind.AsExpression,
  SyntaxKind.SatisfiesExpression,
  SyntaxKind.ArrayLiteralExpression,
  SyntaxKind.ObjectLiteralExpression,
  SyntaxKind.PropertyAssignment,
  SyntaxKind.SpreadElement,
  SyntaxKind.SpreadAssignment,
]);

/** What stands in the shape for arguments left out: a character TypeScript source cannot hold. */
const LEFT_OUT = "\u0000";

/** The file's text with the arguments no other file's types can see left out (see above). */
export function typeShape(sf: SourceFile): string {
  const dsl = dslImports(sf);
  if (dsl.size > 0) dropRedeclared(sf, dsl);
  if (dsl.size === 0) return sf.text;
  const cuts: (readonly [number, number])[] = [];
  const visit = (node: Node): void => {
    if (node.kind === SyntaxKind.CallExpression) {
      const cut = opaqueArguments(node as CallExpression, dsl);
      if (cut) {
        cuts.push(cut);
        return;
      }
    }
    if (TRANSPARENT.has(node.kind)) node.forEachChild(visit);
  };
  for (const statement of sf.statements) visit(statement);
  if (cuts.length === 0) return sf.text;
  cuts.sort((a, b) => a[0] - b[0]);
  let shape = "";
  let at = 0;
  for (const [start, end] of cuts) {
    shape += sf.text.slice(at, start) + LEFT_OUT;
    at = end;
  }
  return shape + sf.text.slice(at);
}

/** The range of a call's arguments that its type cannot see, if it is one of the DSL's opaque calls. */
function opaqueArguments(call: CallExpression, dsl: ReadonlyMap<string, string>): readonly [number, number] | undefined {
  if (call.expression.kind !== SyntaxKind.Identifier || call.questionDotToken) return undefined;
  const args = call.arguments;
  switch (dsl.get((call.expression as unknown as { readonly text: string }).text)) {
    case "policy":
      return call.typeArguments && call.typeArguments.length > 0 && args.length > 0 ? [args.pos, args.end] : undefined;
    case "defineMesh":
      return args.length > 1 ? [args[0]!.end, args.end] : undefined;
    default:
      return undefined;
  }
}

/** Nodes that declare the name in their `name` (an import specifier only when it is not the DSL's). */
const DECLARATIONS: ReadonlySet<SyntaxKind> = new Set([
  SyntaxKind.VariableDeclaration,
  SyntaxKind.BindingElement,
  SyntaxKind.Parameter,
  SyntaxKind.FunctionDeclaration,
  SyntaxKind.FunctionExpression,
  SyntaxKind.ClassDeclaration,
  SyntaxKind.ClassExpression,
  SyntaxKind.EnumDeclaration,
  SyntaxKind.ModuleDeclaration,
  SyntaxKind.ImportEqualsDeclaration,
  SyntaxKind.ImportClause,
  SyntaxKind.NamespaceImport,
  SyntaxKind.ImportSpecifier,
]);

/** Removes from `dsl` each name the file declares other than by importing it from "meshc". */
function dropRedeclared(sf: SourceFile, dsl: Map<string, string>): void {
  const visit = (node: Node): void => {
    if (DECLARATIONS.has(node.kind)) {
      const name = (node as Node & { readonly name?: Node & { readonly text?: string } }).name;
      if (name?.kind === SyntaxKind.Identifier && dsl.has(name.text!) && !isDslImport(node)) dsl.delete(name.text!);
    }
    node.forEachChild(visit);
  };
  for (const statement of sf.statements) visit(statement);
}

/** Whether a node is an import specifier of "meshc" for `policy` or `defineMesh`, the import the calls mean. */
function isDslImport(node: Node): boolean {
  if (node.kind !== SyntaxKind.ImportSpecifier) return false;
  const decl = node.parent?.parent?.parent as ImportDeclaration | undefined;
  return decl?.kind === SyntaxKind.ImportDeclaration && importsDsl(decl) && dslName(node as ImportSpecifier) !== undefined;
}

/** Local name → DSL function, for the value imports of `policy` and `defineMesh` from "meshc". */
function dslImports(sf: SourceFile): Map<string, string> {
  const names = new Map<string, string>();
  const twice = new Set<string>();
  for (const statement of sf.statements) {
    if (statement.kind !== SyntaxKind.ImportDeclaration || !importsDsl(statement as ImportDeclaration)) continue;
    const bindings = (statement as ImportDeclaration).importClause!.namedBindings;
    if (!bindings || bindings.kind !== SyntaxKind.NamedImports) continue;
    for (const element of bindings.elements) {
      const imported = dslName(element);
      if (!imported) continue;
      if (names.has(element.name.text)) twice.add(element.name.text);
      names.set(element.name.text, imported);
    }
  }
  // The same name imported twice is a conflict: neither import is trusted then.
  for (const name of twice) names.delete(name);
  return names;
}

/** Whether an import declaration imports values from "meshc" (not `import type`). */
function importsDsl(decl: ImportDeclaration): boolean {
  const from = decl.moduleSpecifier as Node & { readonly text?: string };
  return from.kind === SyntaxKind.StringLiteral && from.text === "meshc" && decl.importClause !== undefined && decl.importClause.phaseModifier === undefined;
}

/** The DSL function a value import specifier of "meshc" imports, if it is `policy` or `defineMesh`. */
function dslName(element: ImportSpecifier): "policy" | "defineMesh" | undefined {
  if (element.isTypeOnly) return undefined;
  const imported = ((element.propertyName ?? element.name) as Node & { readonly text: string }).text;
  return imported === "policy" || imported === "defineMesh" ? imported : undefined;
}
