import net from 'node:net';

/**
 * A TCP proxy between the drain and the broker that a test can cut: the realistic
 * way to take Kafka away from one client without stopping the shared broker.
 * `cut()` resets every open connection and refuses new ones (ECONNREFUSED, as a
 * broker that went down); `restore()` listens again on the same port.
 *
 * Brokers advertise their own address in metadata, so the drain is started with
 * `brokerRedirect: 127.0.0.1:<proxy port>` to send every broker connection through it.
 */
export interface TcpProxy {
  port: number;
  cut(): Promise<void>;
  restore(): Promise<void>;
  /**
   * true: keep forwarding requests but throw the broker's answers away (a broker that wrote a
   * batch whose acknowledgement never arrived); false: forward them again
   */
  dropAnswers(on: boolean): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  let port = 0;
  let dropping = false;

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = net.createServer((client) => {
        const upstream = net.connect(target.port, target.host);
        sockets.add(client);
        sockets.add(upstream);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        client.pipe(upstream);
        upstream.on('data', (chunk: Buffer) => {
          if (!dropping) client.write(chunk);
        });
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as net.AddressInfo).port;
        server = s;
        resolve();
      });
    });

  const stop = async () => {
    const s = server;
    server = null;
    for (const sock of sockets) sock.destroy();
    sockets.clear();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };

  await listen();
  return {
    get port() {
      return port;
    },
    cut: stop,
    restore: listen,
    dropAnswers(on: boolean) {
      dropping = on;
    },
    close: stop,
  };
}
