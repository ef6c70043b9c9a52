#!/usr/bin/env node
// Runs @open-rpc/test-coverage's examples rule, and no other, against a live rpc-hub:
//
//     node examples.js http://127.0.0.1:8080
//
// It reads the server's /openrpc.json, dereferences it as the tool's CLI does, and runs
// every method's examples in the document's order, each call checked by the rule itself.
// Prints one line of JSON, {"url", "skipped", "calls": [{"method", "valid", "reason", ...}]},
// and exits 0 once every call ran, whatever it answered: tests/system/
// test_openrpc_coverage.py judges them.
//
// Two departures from the CLI, both said in the output:
// - servers[0].url is set to this server's /rpc: the document names the default address.
// - subscription methods are skipped: they need a stream, and over HTTP POST answer -32007;
//   tests/api/rpc/test_examples.py runs their examples over a WebSocket.
"use strict";

const coverage = require("@open-rpc/test-coverage").default;
const ExamplesRule = require("@open-rpc/test-coverage/build/rules/examples-rule").default;
const { parseOpenRPCDocument } = require("@open-rpc/schema-utils-js");

const STREAM_ONLY = /\.(subscribe|unsubscribe)$/;

async function main(base) {
  const response = await fetch(`${base}/openrpc.json`);
  if (!response.ok) throw new Error(`GET ${base}/openrpc.json: HTTP ${response.status}`);
  const served = await response.json();
  served.servers = [{ ...served.servers[0], url: `${base}/rpc` }];
  // validate: false: this tool's schema-utils-js 1.16 knows OpenRPC only up to 1.2.6; the
  // document is checked against the 1.3 meta-schema by tests/api/rpc/test_openrpc_meta.py.
  const document = await parseOpenRPCDocument(served, { dereference: true, validate: false });
  const skip = document.methods.map((method) => method.name).filter((n) => STREAM_ONLY.test(n));
  await coverage({
    openrpcDocument: document,
    transport: "http",
    reporters: [new JsonReport(document.servers[0].url, skip)],
    rules: [new ExamplesRule({ skip, only: [] })],
    skip,
    only: [],
  });
}

// The tool's own "json" reporter prints every call whole (schemas too) among other output;
// this one prints what a reader of a failure needs, as one line of JSON, at the end.
class JsonReport {
  constructor(url, skip) {
    this.url = url;
    this.skip = skip;
  }

  onBegin() {}

  onTestBegin() {}

  onTestEnd() {}

  onEnd(options, calls) {
    const skipped = this.skip.map((name) => [name, "needs a stream: -32007 over HTTP POST"]);
    const report = {
      url: this.url,
      skipped: Object.fromEntries(skipped),
      calls: calls.map((call) => ({
        method: call.methodName,
        title: call.title,
        params: call.params,
        valid: call.valid === true,
        reason: call.reason ?? null,
        result: call.result ?? null,
        error: call.error ?? null,
        requestError: call.requestError === undefined ? null : String(call.requestError),
      })),
    };
    process.stdout.write(JSON.stringify(report) + "\n");
  }
}

if (process.argv.length !== 3) {
  process.stderr.write("usage: node examples.js http://HOST:PORT\n");
  process.exit(2);
}
main(process.argv[2].replace(/\/+$/, "")).catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
