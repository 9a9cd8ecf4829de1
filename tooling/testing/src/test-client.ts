import { clusterOptionsFromUrl, isClusterUrl } from "@tq/connection";
import { createClient, createCluster } from "redis";

const plainClient = (url: string) => createClient({ url });

/**
 * A raw node-redis client for tests that look at Redis directly: `createClient` for a `redis://` URL, and for a
 * `redis-cluster://` URL a `createCluster` client made to answer the same calls (see {@link testClient}).
 */
export type TestClient = ReturnType<typeof plainClient> & {
  /** Whether this client talks to a cluster. */
  readonly isCluster: boolean;
  /** Sends a command to every master (the one server when it is not a cluster): ACL SETUSER, CONFIG, INFO. */
  everyMaster(args: string[]): Promise<unknown[]>;
  /** A client of each master (this client itself when it is not a cluster), for commands about one node. */
  masterClients(): Promise<Array<{ sendCommand(args: string[]): Promise<unknown> }>>;
};

type Cluster = ReturnType<typeof createCluster>;
type NodeClient = Awaited<ReturnType<Cluster["nodeClient"]>>;

/**
 * A raw node-redis client (not yet connected) for either topology. On a cluster the typed commands route by key as
 * usual; `sendCommand(args)` routes by `args[1]` (the first key of most commands; server commands go to a random
 * node), and `scanIterator` walks every master, so test code reads the same on both.
 */
export function testClient(url: string): TestClient {
  if (!isClusterUrl(url)) {
    const client = plainClient(url);
    return Object.assign(client, {
      isCluster: false,
      everyMaster: async (args: string[]) => [await client.sendCommand(args)],
      masterClients: async () => [client],
    }) as TestClient;
  }
  const cluster = createCluster(clusterOptionsFromUrl(url));
  const send = cluster.sendCommand.bind(cluster);
  const masterClients = async (): Promise<NodeClient[]> =>
    Promise.all(cluster.masters.map((master) => cluster.nodeClient(master)));
  Object.assign(cluster, {
    isCluster: true,
    // `sendCommand(args)` as a plain client takes it; the cluster's own form (firstKey, isReadonly, args) still works,
    // so the client can also be handed to tq as a user's cluster client
    sendCommand: (...call: unknown[]) =>
      Array.isArray(call[0])
        ? send(call[0][1], false, call[0], call[1] as Parameters<typeof send>[3])
        : send(...(call as Parameters<typeof send>)),
    masterClients,
    everyMaster: async (args: string[]) =>
      Promise.all((await masterClients()).map((node) => node.sendCommand(args))),
    scanIterator: async function* (options?: Parameters<NodeClient["scanIterator"]>[0]) {
      for (const node of await masterClients()) yield* node.scanIterator(options);
    },
  });
  return cluster as unknown as TestClient;
}

/** {@link testClient}, connected, with an error listener (a dropped test connection is not a test failure). */
export async function connectTestClient(url: string): Promise<TestClient> {
  const client = testClient(url);
  client.on("error", () => {});
  await client.connect();
  return client;
}

/** The `redis://host:port` of every master of the Redis at `url` (the one server when it is not a cluster). */
export async function masterUrls(client: TestClient, url: string): Promise<string[]> {
  if (!client.isCluster) return [url];
  return (client as unknown as Cluster).masters.map((master) => `redis://${master.address}`);
}
