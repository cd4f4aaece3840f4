// send.mjs sends HL7 v2 messages to Tidings' MLLP listener with the npm package simple-hl7,
// as the real peer of internal/integration's TestSimpleHL7Peer (simplehl7_test.go).
//
//	node send.mjs HOST PORT FILE...
//
// Each FILE is one message, its segments on lines of their own. simple-hl7's Parser reads it
// into simple-hl7's message object, whose toString() gives the wire form (segments ended by
// CR); simple-hl7's TcpClient frames it (MLLP: VT ... FS CR), sends it on one kept-alive
// connection and parses the ACK with simple-hl7's Parser. The messages go one at a time, each
// after the ACK of the one before, in the order given. For each it prints one JSON line:
//
//	{"file":"adt_a04.hl7","type":"ADT^A04^ADT_A01","control_id":"…","msa1":"AA","msa2":"…","msa3":"…"}
//
// where type and control_id are MSH-9 and MSH-10 of the message sent, and msa1 to msa3 are
// MSA-1 to MSA-3 of its ACK, all as simple-hl7 read them. It ends with {"done":true} and
// exit status 0, or with {"error":"…"} and exit status 1 (no ACK within the timeout, the
// connection refused or dropped).
//
// simple-hl7's client waits properly: send(msg, cb) calls cb once a whole frame (ending
// FS CR) has come back, even over several reads. It has no timeout and reports nothing when
// the server closes the connection without answering, so the timeout is this script's.
//
// The messages hold fictitious data: no real patient, practitioner or clinic.
//
// The package is resolved from the working directory (nodetest.Start runs node in the npm
// install directory), not from this file's directory, which has no node_modules.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const ackTimeoutMs = 15000;

function print(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function fail(err) {
  print({ error: String(err && err.stack ? err.stack : err) });
  process.exit(1);
}

process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);

// sendOne sends msg with client and resolves with the parsed ACK.
function sendOne(client, msg) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ACK within ${ackTimeoutMs} ms`)), ackTimeoutMs);
    client.send(msg, (err, ack) => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(ack);
    });
  });
}

async function main() {
  const [host, port, ...files] = process.argv.slice(2);
  if (!host || !port || files.length === 0) {
    throw new Error('usage: node send.mjs HOST PORT FILE...');
  }
  const require = createRequire(path.join(process.cwd(), 'package.json'));
  const hl7 = require('simple-hl7');

  const client = hl7.Server.createTcpClient({ host, port: Number(port), keepalive: true });
  try {
    for (const file of files) {
      const text = fs.readFileSync(file, 'utf8').replace(/\r\n?/g, '\n');
      const msg = new hl7.Parser({ segmentSeperator: '\n' }).parse(text);
      // simple-hl7 numbers the header's fields from MSH-3: getField(n) is MSH-(n+2).
      const type = msg.header.getField(7);
      const controlID = msg.header.getField(8);
      const ack = await sendOne(client, msg);
      const msa = ack.getSegment('MSA');
      if (!msa) {
        throw new Error(`${path.basename(file)}: the ACK has no MSA segment: ${JSON.stringify(ack.toString())}`);
      }
      print({
        file: path.basename(file),
        type,
        control_id: controlID,
        msa1: msa.getField(1),
        msa2: msa.getField(2),
        msa3: msa.getField(3),
      });
    }
  } finally {
    client.close();
  }
  print({ done: true });
}

main().catch(fail);
