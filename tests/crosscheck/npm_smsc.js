#!/usr/bin/env node
// An independent SMSC for cross-check 2, built on the npm `smpp` package (tests/crosscheck/npm,
// installed by install.sh): accepts bind_transceiver (credentials checked), answers
// submit_sm with hex message ids, sends one delivery receipt per submit that asks for one
// (deliver_sm, esm_class 0x04, text `id:... stat:DELIVRD ...` only, no TLVs, so bulkd's
// text parser is what reads it), answers enquire_link and unbind. Records every submit_sm
// as the npm package decoded it (one JSON line each).
//
//   node npm_smsc.js serve --port 0 --system-id ID --password PW --record FILE
//     prints "npm-smsc listening on 127.0.0.1:<port>"; on SIGTERM prints counters to
//     stderr and exits 0.
//   node npm_smsc.js compare EXPECT.jsonl RECORD.jsonl
//     exits 1 unless every submit the driver meant (smpp_drive --expect) arrived, in order,
//     with the same addresses, data_coding, esm_class, UDH, SAR TLVs and decoded text.
'use strict';
const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

const smpp = createRequire(path.join(__dirname, 'npm', 'package.json'))('smpp');

function args(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--')) out[argv[i].slice(2)] = argv[++i];
  }
  return out;
}

function udhHex(udh) {
  if (!udh || !udh.length) return '';
  const body = Buffer.concat(udh);
  return Buffer.concat([Buffer.from([body.length]), body]).toString('hex');
}

function smscDate(d) {
  const p = (n) => String(n).padStart(2, '0');
  return p(d.getFullYear() % 100) + p(d.getMonth() + 1) + p(d.getDate()) + p(d.getHours()) + p(d.getMinutes());
}

function serve(opt) {
  const record = fs.openSync(opt.record, 'w');
  const c = { sessions: 0, binds: 0, bind_failures: 0, submits: 0, receipts: 0,
              deliver_sm_resps: 0, deliver_sm_resp_errors: 0, enquire_links: 0, unbinds: 0,
              generic_nacks: 0, errors: 0 };
  let nextId = 0x5a0000;  // hex ids with letters: "5a0000", "5a0001", ...
  let received = 0;

  const server = smpp.createServer((session) => {
    c.sessions++;
    let bound = false;
    session.on('error', () => { c.errors++; });
    session.on('bind_transceiver', (pdu) => {
      if (bound || pdu.system_id !== opt['system-id'] || pdu.password !== opt.password) {
        c.bind_failures++;
        session.send(pdu.response({ command_status: bound ? smpp.ESME_RALYBND : smpp.ESME_RBINDFAIL }));
        return;
      }
      bound = true;
      c.binds++;
      session.send(pdu.response({ system_id: 'npm-smsc' }));
    });
    session.on('submit_sm', (pdu) => {
      c.submits++;
      if (!bound) {
        session.send(pdu.response({ command_status: smpp.ESME_RINVBNDSTS }));
        return;
      }
      const id = (nextId++).toString(16);
      const usePayload = pdu.message_payload !== undefined;
      const body = usePayload ? pdu.message_payload : pdu.short_message;
      const rec = {
        i: received++,
        source: pdu.source_addr, dest: pdu.destination_addr,
        data_coding: pdu.data_coding, esm_class: pdu.esm_class,
        registered_delivery: pdu.registered_delivery,
        payload: usePayload,
        sar: pdu.sar_msg_ref_num !== undefined
          ? [pdu.sar_msg_ref_num, pdu.sar_total_segments, pdu.sar_segment_seqnum] : null,
        udh: udhHex(body && body.udh),
        text: body && typeof body.message === 'string' ? body.message : null,
        message_id: id,
      };
      fs.writeSync(record, JSON.stringify(rec) + '\n');
      session.send(pdu.response({ message_id: id }));
      if ((pdu.registered_delivery & 0x03) === 0) return;
      const now = smscDate(new Date());
      const text = `id:${id} sub:001 dlvrd:001 submit date:${now} done date:${now} stat:DELIVRD err:000 text:receipt`;
      c.receipts++;
      session.deliver_sm({
        source_addr_ton: pdu.dest_addr_ton, source_addr_npi: pdu.dest_addr_npi,
        source_addr: pdu.destination_addr,
        dest_addr_ton: pdu.source_addr_ton, dest_addr_npi: pdu.source_addr_npi,
        destination_addr: pdu.source_addr,
        esm_class: 0x04, data_coding: 0,
        short_message: Buffer.from(text, 'ascii'),
      }, (resp) => {
        if (resp.command_status === 0) c.deliver_sm_resps++;
        else c.deliver_sm_resp_errors++;
      });
    });
    session.on('enquire_link', (pdu) => {
      c.enquire_links++;
      session.send(pdu.response());
    });
    session.on('unbind', (pdu) => {
      c.unbinds++;
      bound = false;
      session.send(pdu.response(), () => session.close());
    });
    session.on('pdu', (pdu) => {
      if (pdu.command === 'unknown' || pdu.command === 'generic_nack') {
        c.generic_nacks++;
        if (pdu.command === 'unknown') session.send(pdu.response());
      }
    });
  });
  server.on('error', (e) => {
    process.stderr.write(`npm-smsc: ${e.message}\n`);
    process.exit(1);
  });
  server.listen(Number(opt.port || 0), '127.0.0.1', () => {
    process.stdout.write(`npm-smsc listening on 127.0.0.1:${server.address().port}\n`);
  });
  process.on('SIGTERM', () => {
    fs.closeSync(record);
    process.stderr.write('npm-smsc: ' + Object.entries(c).map(([k, v]) => `${k}=${v}`).join(' ') + '\n');
    process.exit(0);
  });
}

function compare(expectPath, recordPath) {
  const read = (p) => fs.readFileSync(p, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const expect = read(expectPath);
  const got = read(recordPath);
  const problems = [];
  if (expect.length !== got.length) problems.push(`driver sent ${expect.length} submit_sm, npm smpp decoded ${got.length}`);
  const n = Math.min(expect.length, got.length);
  for (let i = 0; i < n && problems.length < 10; i++) {
    const e = expect[i], g = got[i];
    for (const k of ['source', 'dest', 'data_coding', 'esm_class', 'payload', 'udh', 'text']) {
      if (e[k] !== g[k]) problems.push(`submit ${i} (${e.kind}): ${k} ${JSON.stringify(g[k])}, expected ${JSON.stringify(e[k])}`);
    }
    if (JSON.stringify(e.sar) !== JSON.stringify(g.sar)) problems.push(`submit ${i}: sar ${JSON.stringify(g.sar)}, expected ${JSON.stringify(e.sar)}`);
    if (g.registered_delivery !== 1) problems.push(`submit ${i}: registered_delivery ${g.registered_delivery}`);
  }
  const kinds = {};
  for (const e of expect) kinds[e.kind] = (kinds[e.kind] || 0) + 1;
  if (problems.length) {
    for (const p of problems) process.stdout.write(`MISMATCH: ${p}\n`);
    process.exit(1);
  }
  process.stdout.write(`compare: ${got.length} submit_sm decoded by npm smpp equal to the driver's (` +
    Object.entries(kinds).map(([k, v]) => `${k}=${v}`).join(' ') + ')\n');
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === 'serve') serve(args(rest));
else if (mode === 'compare') compare(rest[0], rest[1]);
else {
  process.stderr.write('usage: npm_smsc.js serve --port P --system-id ID --password PW --record FILE | compare EXPECT RECORD\n');
  process.exit(2);
}
