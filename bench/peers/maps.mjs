// The hash workloads of bench/bench_records.cpp on Yjs's Y.Map and Loro's LoroMap, for
// scripts/bench-peers.sh: 100,000 sets of 10,000 fields (then the encoded state per field), and
// two replicas setting 50,000 distinct fields each and exchanging their updates both ways.
// Prints one JSON object; each figure is the median of `repetitions` runs.
import * as Y from 'yjs';
import { LoroDoc } from 'loro-crdt';

const repetitions = 3;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = (fn) => { const t = process.hrtime.bigint(); const r = fn(); return [Number(process.hrtime.bigint() - t) / 1e6, r]; };

function yjsSets() {
  const doc = new Y.Doc();
  const map = doc.getMap('h');
  for (let i = 0; i < 100000; i++) map.set('f' + (i % 10000), 'v' + i);
  return Y.encodeStateAsUpdate(doc).length / 10000;
}
function loroSets() {
  const doc = new LoroDoc();
  const map = doc.getMap('h');
  for (let i = 0; i < 100000; i++) map.set('f' + (i % 10000), 'v' + i);
  doc.commit();
  return doc.export({ mode: 'snapshot' }).length / 10000;
}
function yjsExchange() {
  const a = new Y.Doc(), b = new Y.Doc();
  const ma = a.getMap('h'), mb = b.getMap('h');
  a.transact(() => { for (let i = 0; i < 50000; i++) ma.set('f' + i, 'value'); });
  b.transact(() => { for (let i = 50000; i < 100000; i++) mb.set('f' + i, 'value'); });
  const [ms, bytes] = time(() => {
    const toB = Y.encodeStateAsUpdate(a), toA = Y.encodeStateAsUpdate(b);
    Y.applyUpdate(b, toB); Y.applyUpdate(a, toA);
    return toA.length + toB.length;
  });
  return [ms, bytes / 100000];
}
function loroExchange() {
  const a = new LoroDoc(), b = new LoroDoc();
  a.setPeerId(1n); b.setPeerId(2n);
  const ma = a.getMap('h'), mb = b.getMap('h');
  for (let i = 0; i < 50000; i++) ma.set('f' + i, 'value');
  for (let i = 50000; i < 100000; i++) mb.set('f' + i, 'value');
  a.commit(); b.commit();
  const [ms, bytes] = time(() => {
    const toB = a.export({ mode: 'update' }), toA = b.export({ mode: 'update' });
    b.import(toB); a.import(toA);
    return toA.length + toB.length;
  });
  return [ms, bytes / 100000];
}

const out = {};
for (const [name, sets, exchange] of [['yjs', yjsSets, yjsExchange], ['loro', loroSets, loroExchange]]) {
  const setMs = [], perField = [], exMs = [], perDelta = [];
  for (let r = 0; r < repetitions; r++) {
    const [ms, bytes] = time(sets); setMs.push(ms); perField.push(bytes);
    const [ems, dbytes] = exchange(); exMs.push(ems); perDelta.push(dbytes);
  }
  out[name] = {
    sets_per_second: 100000 / (median(setMs) / 1000),
    encoded_bytes_per_field: median(perField),
    exchange_ms: median(exMs),
    delta_bytes_per_field: median(perDelta),
  };
}
console.log(JSON.stringify(out));
