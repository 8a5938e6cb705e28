import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a PostgreSQL server that can stop forwarding, the way a network path or
 * a server can freeze: the connection stays open and nothing more arrives, not even a close.
 * A connection freezes when the client sends `marker` for the `occurrence`-th time (that message is
 * swallowed, so the server never sees it; earlier ones pass); with `freezesServer`, every other
 * connection freezes too and new ones are accepted but never answered. It records the databases
 * created through it, to check that none is left behind.
 */
export class FreezingProxy {
  readonly created: string[] = [];
  private readonly sockets = new Set<Socket>();
  private seen = 0;
  private allFrozen = false;
  private server?: Server;

  constructor(
    private readonly target: { host: string; port: number },
    private readonly marker: string,
    private readonly occurrence = 1,
    /** Whether the marker freezes every connection, new ones included (a stopped server), not just its own. */
    private readonly freezesServer = false,
  ) {}

  async start(): Promise<number> {
    this.server = createServer((client) => this.pipe(client));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    this.sockets.forEach((s) => s.destroy());
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private pipe(client: Socket): void {
    const upstream = connect(this.target.port, this.target.host);
    this.sockets.add(client).add(upstream);
    let frozen = false;
    const isFrozen = () => frozen || this.allFrozen;
    client.on('data', (chunk: Buffer) => {
      if (isFrozen()) return;
      if (chunk.includes(this.marker) && ++this.seen >= this.occurrence) {
        frozen = true;
        this.allFrozen ||= this.freezesServer;
        return;
      }
      for (const m of chunk.toString('latin1').matchAll(/CREATE DATABASE "?(drillbot_[a-z0-9_]+)"?/g)) this.created.push(m[1]);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!isFrozen()) client.write(chunk);
    });
    // A frozen path forwards no close either: the server's side never learns that the client went away.
    client.on('close', () => isFrozen() || upstream.destroy());
    upstream.on('close', () => isFrozen() || client.destroy());
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
  }
}
