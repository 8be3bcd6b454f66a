import { createServer } from 'node:net';

function tryListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * A TCP port free on 127.0.0.1 right now, drawn at random BELOW the kernel's ephemeral range
 * (32768–60999): servers that bind port 0 themselves (the Temporal dev server's HTTP and metrics ports,
 * every client socket) take theirs from that range, so a port we pick, release and hand to a server a
 * moment later is not taken by them in between.
 */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await tryListen(port)) return port;
  }
  throw new Error('no free port found in 20000-31999 after 200 tries');
}
