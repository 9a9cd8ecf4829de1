import { appConfig } from "../../tsup.base.ts";

export default appConfig(["src/main.ts"]);
