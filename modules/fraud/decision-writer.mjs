// The decision log's writer thread: turns batches of decision records (bytes, decision-log.mjs) into rows — the
// JSON the insert takes, or COPY's text format (`workerData.format`) — so that the screening thread spends nothing
// on text. Plain JavaScript (no TypeScript loader here).
// In: { seq, first, strings, bytes } — strings numbered from `first` that the batch may use, and the batch.
// Out: { seq, rows } or { seq, error }. COPY lines come back as UTF-8 bytes, transferred: the connection sends them as
// they are, and no string of them is made on the server's thread (a batch's text, kept there until its load commits,
// was copied by each young-generation collection and promoted — ~550 bytes per decision); JSON as a string (PGlite
// takes it as a parameter).
import { parentPort, workerData } from 'node:worker_threads';
import { DecisionCopyDecoder, DecisionDecoder } from './decision-log.mjs';

const port = parentPort;
if (!port) throw new Error('decision-writer.mjs runs only as a worker thread');
const copy = workerData?.format === 'copy';
const decoder = copy ? new DecisionCopyDecoder() : new DecisionDecoder();
port.on('message', (m) => {
  try {
    decoder.define(m.first, m.strings);
    if (copy) {
      const rows = decoder.decodeBytes(m.bytes);
      port.postMessage({ seq: m.seq, rows }, [rows.buffer]);
    } else port.postMessage({ seq: m.seq, rows: decoder.decode(m.bytes) });
  } catch (e) {
    port.postMessage({ seq: m.seq, error: e instanceof Error ? e.message : String(e) });
  }
});
