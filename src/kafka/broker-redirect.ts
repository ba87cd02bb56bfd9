import net from 'node:net';
import tls from 'node:tls';
import type { ISocketFactory } from 'kafkajs';

/**
 * A kafkajs socket factory that connects to `host:port` whatever broker address the
 * cluster metadata advertises: for a broker reached through a TCP proxy or tunnel
 * (brokers advertise their own addresses, which a client behind a proxy cannot
 * reach), and for tests that cut the connection with a proxy they control.
 */
export function redirectSocketFactory(hostPort: string): ISocketFactory {
  const i = hostPort.lastIndexOf(':');
  const host = hostPort.slice(0, i);
  const port = Number(hostPort.slice(i + 1));
  return ({ ssl, onConnect }) => {
    const socket = ssl
      ? tls.connect(Object.assign({ host, port, servername: host }, ssl), onConnect)
      : net.connect({ host, port }, onConnect);
    socket.setKeepAlive(true, 60_000);
    return socket;
  };
}
