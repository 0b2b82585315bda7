// check_chrome.mjs - reads a Chrome Trace Event JSON file the way its
// readers do, and fails (exit 1, one line per fault) unless they would
// show it as written:
//  - DevTools' own trace engine (@paulirish/trace_engine, the code behind
//    Chrome's Performance panel) parses it without an error and binds
//    every flow written (it attaches a flow phase event to the first
//    non-flow event with the same ts, pid, tid and cat);
//  - no two slices of one thread overlap without nesting once the times
//    are read as readers read them: JSON numbers as doubles, shifted by
//    the earliest ts, end = ts + dur (speedscope's importer does exactly
//    this and warns on each such pair).
// Usage: node check_chrome.mjs TRACE.json [--min-flows N]
// Prints "flows written W bound B, slices S, overlaps O".
import fs from 'node:fs';
import * as Trace from '@paulirish/trace_engine';

function fail(msg) {
  console.error(`check_chrome: ${msg}`);
  process.exitCode = 1;
}

// The engine wants a DOMRect, which node does not have.
globalThis.DOMRect ??= class DOMRect {
  constructor(x = 0, y = 0, w = 0, h = 0) {
    Object.assign(this, {x, y, width: w, height: h});
  }
  static fromRect(r = {}) {
    return new DOMRect(r.x, r.y, r.width, r.height);
  }
};

const [file, ...rest] = process.argv.slice(2);
if (!file) {
  console.error('usage: node check_chrome.mjs TRACE.json [--min-flows N]');
  process.exit(2);
}
const minFlows = rest[0] === '--min-flows' ? Number(rest[1]) : 1;
const json = JSON.parse(fs.readFileSync(file, 'utf8'));
const events = Array.isArray(json) ? json : json.traceEvents;

// What was written: one flow per distinct (cat, name, id) start.
const written = new Set();
for (const e of events)
  if (e.ph === 's')
    written.add(`${e.cat}\u0000${e.name}\u0000${e.id}`);

// Nesting, with the readers' arithmetic (speedscope shifts each thread's
// slices by that thread's earliest ts).
const byThread = new Map();
let slices = 0;
for (const e of events) {
  if (e.ph !== 'X')
    continue;
  slices++;
  const key = `${e.pid}/${e.tid}`;
  if (!byThread.has(key))
    byThread.set(key, []);
  byThread.get(key).push(e);
}
let overlaps = 0;
for (const [key, xs] of byThread) {
  const t0 = Math.min(...xs.map(e => e.ts));
  const list = xs.map(e => ({ts: e.ts - t0, end: e.ts - t0 + e.dur,
                             name: e.name}));
  list.sort((a, b) => a.ts - b.ts || b.end - a.end);
  const stack = [];
  for (const s of list) {
    while (stack.length && stack.at(-1).end <= s.ts)
      stack.pop();
    const top = stack.at(-1);
    if (top && s.end > top.end) {
      if (overlaps < 5)
        fail(`${key}: "${s.name}" [${s.ts}, ${s.end}] overlaps` +
             ` "${top.name}" [${top.ts}, ${top.end}]`);
      overlaps++;
      continue;
    }
    stack.push(s);
  }
}
if (overlaps)
  fail(`${overlaps} slices overlap without nesting`);

let bound = 0;
try {
  const model = Trace.TraceModel.Model.createWithAllHandlers();
  await model.parse(events);
  const parsed = model.parsedTrace();
  if (!parsed)
    throw new Error('the engine returned no data');
  bound = (parsed.data ?? parsed).Flows.flows.length;
} catch (err) {
  fail(`the DevTools trace engine: ${err.stack || err}`);
}
console.log(`flows written ${written.size} bound ${bound},` +
            ` slices ${slices}, overlaps ${overlaps}`);
if (bound !== written.size)
  fail(`the DevTools trace engine bound ${bound} of ${written.size} flows`);
if (written.size < minFlows)
  fail(`${written.size} flows written, want at least ${minFlows}`);
