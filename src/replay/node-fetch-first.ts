/**
 * Imported (for its side effect) before undici, by replay-sender.ts.
 *
 * undici 7's index, when loaded, installs an Agent of its own as the process-wide
 * dispatcher if none is set yet, in the slot Node 20's built-in fetch also reads
 * (`Symbol.for('undici.globalDispatcher.1')`); Node's fetch (undici 6) then fails on
 * it ("invalid content-length header"). A fetch of a `data:` URL makes Node load its
 * own undici, which fills the slot with Node's Agent first; undici 7 then leaves it
 * alone. No network is touched. The replay never uses the global dispatcher.
 */
fetch('data:,').catch(() => undefined);

export const NODE_FETCH_DISPATCHER_SET = true;
