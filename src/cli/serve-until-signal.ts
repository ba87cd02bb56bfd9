/**
 * The life of a long-running server command (`drain`, `serve`): start it, and on
 * SIGTERM or SIGINT close it and exit 0. Heroku sends SIGKILL 30 s after SIGTERM, so a
 * close that has not finished by `deadlineMs` exits 1. The handlers are installed
 * before the start, so a signal during start-up is an orderly stop too: the close
 * runs as soon as the start completes.
 */
export interface Closable {
  close(): Promise<void>;
}

export async function serveUntilSignal<H extends Closable>(
  deadlineMs: number,
  start: () => Promise<H>,
  started: (handle: H) => void,
): Promise<void> {
  let handle: H | null = null;
  let closing = false;
  let closed = false;
  const close = async () => {
    if (closed || handle === null) return; // still starting: closed once the start completes
    closed = true;
    await handle.close();
    process.exit(0);
  };
  const onSignal = () => {
    if (!closing) {
      closing = true;
      setTimeout(() => process.exit(1), deadlineMs).unref();
    }
    void close();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  handle = await start();
  started(handle);
  if (closing) await close();
}
