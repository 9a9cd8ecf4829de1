import { packageConfig } from "../../tsup.base.ts";

// index: the library. bin: the tq-worker command (its shebang is kept). pool-child: what WorkerPool forks; it sits
// beside index.js/index.cjs in dist so that both find it.
export default packageConfig({
  entry: ["src/index.ts", "src/bin.ts", "src/pool-child.ts"],
  dts: { entry: "src/index.ts" },
});
