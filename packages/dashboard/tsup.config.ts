import { packageConfig } from "../../tsup.base.ts";

// shims: the CJS build gets `import.meta.url`, which finds the browser assets and uPlot's files at run time.
export default packageConfig({ shims: true });
