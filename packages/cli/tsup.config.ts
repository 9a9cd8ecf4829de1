import { packageConfig } from "../../tsup.base.ts";

// index: the library entry (`run`). bin: the `tq` command (its shebang is kept).
export default packageConfig({
  entry: ["src/index.ts", "src/bin.ts"],
  dts: { entry: "src/index.ts" },
});
