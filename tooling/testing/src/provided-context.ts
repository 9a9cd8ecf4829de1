// Types what the global setups provide to tests: `inject("redisUrl")` is a string (a `redis://` URL, or a
// `redis-cluster://` URL in the cluster projects) and `inject("redisTopology")` says which.
import type {} from "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
    redisTopology: "standalone" | "cluster";
  }
}
