// The task log as people read it; pure functions, no DOM (tested in static.test.mjs).

/**
 * Logs written before `received_by` existed have a second "receive" line after every
 * event that handed a step on: fold it into the event's line (one line per event).
 */
export function foldReceipts(items) {
  const out = [];
  for (const x of items) {
    const prev = out[out.length - 1];
    const m = x.action === 'receive' ? /^step \d+ to user (\d+)$/.exec(String(x.detail)) : null;
    if (m && prev && prev.at === x.at && prev.received_by == null && prev.action !== 'receive') {
      out[out.length - 1] = { ...prev, received_by: Number(m[1]) };
      continue;
    }
    out.push(x);
  }
  return out;
}
