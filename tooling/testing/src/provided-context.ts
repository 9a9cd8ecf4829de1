// Types what the global setup provides to tests: `inject("redisUrl")` is a string.
declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

export {};
