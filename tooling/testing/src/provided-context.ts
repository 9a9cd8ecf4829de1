// Types what the global setup provides to tests: `inject("redisUrl")` is a string.
import type {} from "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
