import { checkPackage, createPackageFromTarballData, type Problem } from "@arethetypeswrong/core";
import { problemKindInfo } from "@arethetypeswrong/core/problems";
import { publint } from "publint";
import { formatMessage } from "publint/utils";

/**
 * What `publint --strict` says about a packed package, one line per message (suggestions included): empty when
 * it has nothing to say.
 */
export async function publintMessages(tarball: Uint8Array): Promise<string[]> {
  const copy = tarball.slice().buffer;
  const { messages, pkg } = await publint({ pack: { tarball: copy }, strict: true, level: "suggestion" });
  return messages.map(
    (m) => `${m.type} ${m.code}: ${formatMessage(m, pkg, { color: false }) ?? m.path.join(".")}`,
  );
}

/**
 * What `attw --pack` (every entrypoint, every resolution mode: node10, node16 CJS and ESM, bundler) finds wrong with
 * a packed package's types, one line per problem: empty when nothing is.
 */
export async function attwProblems(tarball: Uint8Array): Promise<string[]> {
  const result = await checkPackage(createPackageFromTarballData(tarball));
  if (!result.types) return ["the package has no type declarations"];
  const inPackage = `/node_modules/${result.packageName}/`;
  return result.problems.map((p) => describeProblem(p).replaceAll(inPackage, "./"));
}

function describeProblem(problem: Problem): string {
  const title = problemKindInfo[problem.kind].title;
  switch (problem.kind) {
    case "NoResolution":
    case "UntypedResolution":
    case "CJSResolvesToESM":
    case "FallbackCondition":
      return `${title}: "${problem.entrypoint}" under ${problem.resolutionKind}`;
    case "NamedExports":
      return `${title}: ${problem.implementationFileName} lacks ${problem.missing.join(", ")} (types: ${problem.typesFileName})`;
    case "InternalResolutionError":
      return `${title}: "${problem.moduleSpecifier}" in ${problem.fileName} under ${problem.resolutionOption}`;
    case "UnexpectedModuleSyntax":
    case "CJSOnlyExportsDefault":
      return `${title}: ${problem.fileName}`;
    default:
      return `${title}: ${problem.typesFileName} / ${problem.implementationFileName}`;
  }
}
