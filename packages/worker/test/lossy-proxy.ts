import { createServer, type Server, Socket } from "node:net";

/** One client connection through the proxy and its connection to Redis. */
interface Pair {
  client: Socket;
  server: Socket;
  /** The tail of what the client sent lately, so that a pattern split over two writes is still seen. */
  sent: string;
  /** Replies from Redis are kept back (not forwarded) while set. */
  holding: boolean;
}

interface Trap {
  side: "request" | "reply";
  match: (text: string) => boolean;
  resolve: (drop: () => void) => void;
}

const TAIL = 8_192;

/**
 * A TCP proxy in front of a real Redis that can lose a reply on purpose: it forwards everything, until a trap
 * matches. A request trap forwards the matching request to Redis and then holds back every reply on that
 * connection, so the test can watch Redis apply the command and then cut the connection (the reply is lost). A
 * reply trap cuts the connection as soon as a matching reply arrives, without forwarding it.
 */
export class LossyProxy {
  readonly #server: Server;
  readonly #pairs = new Set<Pair>();
  #trap: Trap | undefined;
  port = 0;

  private constructor(
    server: Server,
    readonly redisPort: number,
  ) {
    this.#server = server;
  }

  static async start(redisUrl: string): Promise<LossyProxy> {
    const redisPort = Number(new URL(redisUrl).port);
    const server = createServer();
    const proxy = new LossyProxy(server, redisPort);
    server.on("connection", (client) => proxy.#accept(client));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    proxy.port = typeof address === "object" && address ? address.port : 0;
    return proxy;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /**
   * Resolves once a request matching `match` has reached Redis; replies on its connection are held from then on.
   * Call the resolved function to cut that connection (the held replies are lost).
   */
  onRequest(match: (text: string) => boolean): Promise<() => void> {
    return new Promise((resolve) => {
      this.#trap = { side: "request", match, resolve };
    });
  }

  /** Resolves once a reply matching `match` arrived from Redis; that connection has been cut and the reply lost. */
  onReply(match: (text: string) => boolean): Promise<void> {
    return new Promise((resolve) => {
      this.#trap = { side: "reply", match, resolve: (drop) => resolve(drop()) };
    });
  }

  #accept(client: Socket): void {
    const server = new Socket();
    const pair: Pair = { client, server, sent: "", holding: false };
    this.#pairs.add(pair);
    const drop = () => {
      this.#pairs.delete(pair);
      client.destroy();
      server.destroy();
    };
    client.on("error", drop);
    server.on("error", drop);
    client.on("close", drop);
    server.on("close", drop);
    client.pause();
    server.connect(this.redisPort, "127.0.0.1", () => client.resume());
    client.on("data", (chunk: Buffer) => {
      server.write(chunk);
      pair.sent = (pair.sent + chunk.toString("latin1")).slice(-TAIL);
      const trap = this.#trap;
      if (trap?.side === "request" && trap.match(pair.sent)) {
        this.#trap = undefined;
        pair.holding = true;
        trap.resolve(drop);
      }
    });
    server.on("data", (chunk: Buffer) => {
      const trap = this.#trap;
      if (trap?.side === "reply" && trap.match(chunk.toString("latin1"))) {
        this.#trap = undefined;
        trap.resolve(drop);
        return;
      }
      if (!pair.holding) client.write(chunk);
    });
  }

  async close(): Promise<void> {
    for (const pair of this.#pairs) {
      pair.client.destroy();
      pair.server.destroy();
    }
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
