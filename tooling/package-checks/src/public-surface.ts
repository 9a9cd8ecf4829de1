import { realpathSync } from "node:fs";
import { sep } from "node:path";
import ts from "typescript";

/** A package whose public surface is checked: the declarations its root (`"."`) resolves to. */
export interface SurfacePackage {
  name: string;
  /** The package's folder: every file under it is the package's own. */
  dir: string;
  /** The declaration file of the package root. */
  rootTypes: string;
}

/** One problem with a package's public surface. */
export interface SurfaceFinding {
  /** The package whose surface has the problem. */
  package: string;
  /** The name of the type (or value, for `typeof x`) that is the problem. */
  name: string;
  /** The public members whose signatures use it, as `Export.member` (or `Export`), in the order found. */
  usedBy: string[];
  /**
   * `not-exported`: declared in a workspace package but exported from neither this package's root nor its owner's;
   * `unresolved`: the reference resolves to nothing (a missing module or a typo), so it cannot be checked;
   * `internal-doc`: an exported symbol (or a public member) whose doc calls it internal.
   */
  problem: "not-exported" | "unresolved" | "internal-doc";
  /** The package that declares the type, when it is not the checked package. */
  declaredIn?: string;
}

/**
 * Checks that every named type a public signature of each package uses is reachable from a package root: its own,
 * or the root of the workspace package that declares the type. Public signatures are those of the symbols the
 * package root exports: function parameters and returns, public and protected class members, interface and
 * type-literal properties (event maps included), type arguments, heritage clauses, `typeof` queries. Types from
 * files outside the workspace packages (lib.d.ts, `node:*`, `redis`, any other dependency) are fine. Also reports
 * exported symbols and public members whose TSDoc marks them internal (`@internal`, or the word "internal").
 *
 * Give it the built declarations (what `tsup --dts` emits): every type is written out there, and they are what
 * the packages' imports of each other resolve to, so a type re-exported across packages is one symbol. On `.ts`
 * sources it would miss inferred types and see another package's root as a second copy of its declarations.
 */
export function checkPublicSurface(
  packages: readonly SurfacePackage[],
  compilerOptions: ts.CompilerOptions = {},
): SurfaceFinding[] {
  const program = ts.createProgram({
    rootNames: packages.map((p) => p.rootTypes),
    options: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      skipLibCheck: true,
      noEmit: true,
      types: [],
      ...compilerOptions,
    },
  });
  const checker = program.getTypeChecker();
  const owners = packages.map((p) => ({ pkg: p, prefix: realpath(p.dir) + sep }));
  const ownerOf = (file: ts.SourceFile) =>
    file.fileName.includes("/node_modules/")
      ? undefined
      : owners.find((o) => file.fileName.startsWith(o.prefix))?.pkg;

  const rootModules = new Map<string, ts.Symbol>();
  const rootExports = new Map<string, Set<ts.Symbol>>();
  for (const pkg of packages) {
    const file = program.getSourceFile(realpath(pkg.rootTypes)) ?? program.getSourceFile(pkg.rootTypes);
    const moduleSymbol = file && checker.getSymbolAtLocation(file);
    if (!moduleSymbol) {
      throw new Error(
        `${pkg.name}: ${pkg.rootTypes} is missing or is not a module (build the packages first)`,
      );
    }
    rootModules.set(pkg.name, moduleSymbol);
    rootExports.set(pkg.name, reachableFrom(moduleSymbol));
  }

  const findings: SurfaceFinding[] = [];
  for (const pkg of packages) {
    const moduleSymbol = rootModules.get(pkg.name)!;
    const exported = rootExports.get(pkg.name)!;
    const walked = new Set<ts.Symbol>();
    const reported = new Map<string, SurfaceFinding>();
    const report = (
      problem: SurfaceFinding["problem"],
      name: string,
      usedBy: string,
      declaredIn?: string,
    ) => {
      const key = `${problem}|${name}|${declaredIn ?? ""}`;
      const known = reported.get(key);
      if (known) {
        if (!known.usedBy.includes(usedBy)) known.usedBy.push(usedBy);
        return;
      }
      reported.set(key, {
        package: pkg.name,
        name,
        usedBy: [usedBy],
        problem,
        ...(declaredIn ? { declaredIn } : {}),
      });
    };

    const isReachable = (symbol: ts.Symbol): boolean => {
      if (exported.has(symbol)) return true;
      const declarations = symbol.declarations ?? [];
      return declarations.some((d) => {
        const owner = ownerOf(d.getSourceFile());
        return owner === undefined || (owner !== pkg && rootExports.get(owner.name)!.has(symbol));
      });
    };

    const checkReference = (name: ts.EntityName | ts.Expression, usedBy: string, self: ts.Symbol) => {
      let target = name;
      let symbol = checker.getSymbolAtLocation(target);
      if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
      // An enum member (`Kind.A`) is reachable when its enum is.
      if (symbol && symbol.flags & ts.SymbolFlags.EnumMember && ts.isQualifiedName(target)) {
        target = target.left;
        symbol = resolveAlias(checker.getSymbolAtLocation(target) ?? symbol);
      }
      if (!symbol?.declarations?.length) {
        report("unresolved", target.getText(), usedBy);
        return;
      }
      if (symbol === self || symbol.flags & ts.SymbolFlags.TypeParameter) return;
      if (isReachable(symbol)) return;
      const owner = ownerOf(symbol.declarations[0]!.getSourceFile());
      report("not-exported", symbol.name, usedBy, owner && owner !== pkg ? owner.name : undefined);
      // What only this type leads to is public too: walk it, once.
      walkSymbol(symbol, symbol.name);
    };

    const visit = (node: ts.Node, usedBy: string, self: ts.Symbol): void => {
      if (ts.isBlock(node) || isHiddenMember(node)) return;
      if (ts.isTypeReferenceNode(node)) {
        checkReference(node.typeName, usedBy, self);
      } else if (ts.isExpressionWithTypeArguments(node)) {
        checkReference(node.expression, usedBy, self);
      } else if (ts.isTypeQueryNode(node)) {
        checkReference(node.exprName, usedBy, self);
      } else if (ts.isImportTypeNode(node) && node.qualifier) {
        checkReference(node.qualifier, usedBy, self);
      }
      if (isMember(node) || ts.isConstructorDeclaration(node)) {
        const inner = `${usedBy}.${ts.isConstructorDeclaration(node) ? "constructor" : memberName(node)}`;
        if (isDocInternal(node)) report("internal-doc", inner, inner);
        ts.forEachChild(node, (child) => {
          if (child !== node.name && !isInitializerOf(node, child)) visit(child, inner, self);
        });
        return;
      }
      ts.forEachChild(node, (child) => {
        // Initializers are values (`declare const X = 1` in declarations); their types are written beside them.
        if (isInitializerOf(node, child)) return;
        visit(child, usedBy, self);
      });
    };

    const walkSymbol = (symbol: ts.Symbol, label: string) => {
      if (walked.has(symbol)) return;
      walked.add(symbol);
      if (symbol.flags & ts.SymbolFlags.Module) {
        // A namespace (`export * as ns`): its surface is its exports.
        for (const member of checker.getExportsOfModule(symbol)) {
          walkSymbol(resolveAlias(member), `${label}.${member.name}`);
        }
      }
      for (const declaration of symbol.declarations ?? []) {
        if (ts.isSourceFile(declaration) || ts.isModuleDeclaration(declaration)) continue;
        if (ownerOf(declaration.getSourceFile()) === undefined) continue;
        ts.forEachChild(declaration, (child) => {
          if (child === (declaration as ts.NamedDeclaration).name) return;
          if (isInitializerOf(declaration, child)) return;
          visit(child, label, symbol);
        });
      }
    };

    for (const exportSymbol of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = resolveAlias(exportSymbol);
      const label = exportSymbol.name;
      for (const declaration of symbol.declarations ?? []) {
        if (ownerOf(declaration.getSourceFile()) === pkg && isDocInternal(docHost(declaration))) {
          report("internal-doc", label, label);
        }
      }
      walkSymbol(symbol, label);
    }
    findings.push(...[...reported.values()].sort((a, b) => a.name.localeCompare(b.name)));
  }
  return findings;

  /** What a module exports, namespaces (`export * as ns`) opened: every symbol an importer can name from it. */
  function reachableFrom(moduleSymbol: ts.Symbol, into = new Set<ts.Symbol>()): Set<ts.Symbol> {
    for (const exportSymbol of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = resolveAlias(exportSymbol);
      if (into.has(symbol)) continue;
      into.add(symbol);
      if (symbol.flags & ts.SymbolFlags.Module) reachableFrom(symbol, into);
    }
    return into;
  }

  function resolveAlias(symbol: ts.Symbol): ts.Symbol {
    return symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
  }
}

/** One line per finding, `package: Type (used by X.y)`, for a test's failure message. */
export function formatFindings(findings: readonly SurfaceFinding[]): string[] {
  return findings.map((f) => {
    const usedBy = f.usedBy.join(", ");
    if (f.problem === "internal-doc") return `${f.package}: ${f.name} is exported but its doc says internal`;
    if (f.problem === "unresolved") return `${f.package}: ${f.name} (used by ${usedBy}) does not resolve`;
    return f.declaredIn
      ? `${f.package}: ${f.name} (used by ${usedBy}; declared in ${f.declaredIn}, not exported from its root)`
      : `${f.package}: ${f.name} (used by ${usedBy})`;
  });
}

type Member =
  | ts.PropertySignature
  | ts.PropertyDeclaration
  | ts.MethodSignature
  | ts.MethodDeclaration
  | ts.GetAccessorDeclaration
  | ts.SetAccessorDeclaration;

function isMember(node: ts.Node): node is Member {
  return (
    ts.isPropertySignature(node) ||
    ts.isPropertyDeclaration(node) ||
    ts.isMethodSignature(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node)
  );
}

function memberName(node: Member): string {
  const name = node.name;
  return ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name)
    ? name.text
    : name.getText();
}

/** A class member outside the public surface: `private`, or a `#private` name. */
function isHiddenMember(node: ts.Node): boolean {
  if (!ts.isClassElement(node)) return false;
  if (node.name && ts.isPrivateIdentifier(node.name)) return true;
  return (ts.getCombinedModifierFlags(node as ts.Declaration) & ts.ModifierFlags.Private) !== 0;
}

function isInitializerOf(parent: ts.Node, child: ts.Node): boolean {
  return (
    (ts.isVariableDeclaration(parent) || ts.isPropertyDeclaration(parent) || ts.isParameter(parent)) &&
    parent.initializer === child
  );
}

/** The node that carries a declaration's TSDoc: a `const`'s statement, not its declarator. */
function docHost(declaration: ts.Declaration): ts.Node {
  if (ts.isVariableDeclaration(declaration) && ts.isVariableDeclarationList(declaration.parent)) {
    return declaration.parent.parent;
  }
  return declaration;
}

function isDocInternal(node: ts.Node): boolean {
  for (const tag of ts.getJSDocTags(node)) {
    if (["internal", "private", "hidden", "ignore"].includes(tag.tagName.text)) return true;
  }
  for (const doc of ts.getJSDocCommentsAndTags(node)) {
    if (!ts.isJSDoc(doc)) continue;
    const text = typeof doc.comment === "string" ? doc.comment : ts.getTextOfJSDocComment(doc.comment);
    if (text && /\binternal\b/i.test(text)) return true;
  }
  return false;
}

function realpath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
