import { appConfig } from "../../tsup.base.ts";

export default appConfig(["src/index.ts"], { dts: true });
