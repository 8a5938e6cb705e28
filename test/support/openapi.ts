import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

/**
 * Validates recorded REST requests against GitHub's published OpenAPI description
 * (`@octokit/openapi`, the dereferenced api.github.com document) and against the limits that
 * GitHub enforces but the schema does not spell out (see shared/design/github-app.md §2).
 */

/** One outgoing request as the fake GitHub saw it. */
export interface RecordedRequest {
  method: string;
  /** Path without the `/api/v3` prefix and without the query string, still percent-encoded. */
  path: string;
  query: Record<string, string>;
  body: unknown;
}

/** A request that GitHub would reject, or that does not match the documented contract. */
export interface Violation {
  request: string;
  operation?: string;
  problem: string;
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: object;
}

interface Operation {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: object }> };
}

interface Route {
  method: string;
  template: string;
  regex: RegExp;
  names: string[];
  literalLength: number;
  operation: Operation;
}

interface CompiledOperation {
  params?: ValidateFunction;
  body?: ValidateFunction;
}

// ajv-formats is CommonJS with `export default`; under NodeNext its default import is the module object.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv) => Ajv;

/** Indexes the OpenAPI document once; compiles each operation's validators on first use. */
export class OpenApiValidator {
  private readonly routes: Route[] = [];
  private readonly compiled = new Map<string, CompiledOperation>();
  // Bodies are JSON and must have the right types; path and query values are strings on the wire.
  private readonly bodyAjv: Ajv;
  private readonly paramAjv: Ajv;

  constructor(document: { paths: Record<string, Record<string, Operation>> }) {
    this.bodyAjv = addFormats(new Ajv({ strict: false, allErrors: true, validateFormats: true }));
    this.paramAjv = addFormats(new Ajv({ strict: false, allErrors: true, coerceTypes: 'array' }));
    for (const [template, item] of Object.entries(document.paths)) {
      for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
        const operation = item[method];
        if (!operation) continue;
        const names: string[] = [];
        const multi = new Set((operation.parameters ?? []).filter((p) => (p as { 'x-multi-segment'?: boolean })['x-multi-segment']).map((p) => p.name));
        const source = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_, name: string) => {
          names.push(name);
          return multi.has(name) ? '(.+)' : '([^/]+)';
        });
        this.routes.push({
          method: method.toUpperCase(),
          template,
          regex: new RegExp(`^${source}$`),
          names,
          literalLength: template.replace(/\{\w+\}/g, '').length,
          operation,
        });
      }
    }
    // The most literal template wins: `/compare/{base}...{head}` over `/compare/{basehead}`.
    this.routes.sort((a, b) => b.literalLength - a.literalLength);
  }

  /** Finds the operation for a method and a concrete path. */
  match(method: string, path: string): { route: Route; params: Record<string, string> } | undefined {
    for (const route of this.routes) {
      if (route.method !== method.toUpperCase()) continue;
      const m = route.regex.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => (params[name] = safeDecode(m[i + 1])));
      return { route, params };
    }
    return undefined;
  }

  /** Returns every schema problem of one request (empty when it conforms). */
  validate(request: RecordedRequest): Violation[] {
    const label = `${request.method} ${request.path}`;
    const found = this.match(request.method, request.path);
    if (!found) return [{ request: label, problem: 'no operation in the OpenAPI description matches this method and path' }];
    const { route, params } = found;
    const operation = route.operation;
    const compiled = this.compile(route);
    const violations: Violation[] = [];
    const report = (problem: string) => violations.push({ request: label, operation: operation.operationId, problem });

    const values: Record<string, unknown> = { path: { ...params }, query: { ...request.query } };
    if (compiled.params && !compiled.params(values)) report(`parameters: ${formatErrors(compiled.params.errors)}`);
    const known = new Set((operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name));
    for (const name of Object.keys(request.query)) {
      if (!known.has(name)) report(`query parameter "${name}" is not documented for ${operation.operationId}`);
    }

    const jsonBody = operation.requestBody?.content?.['application/json'];
    if (request.body !== undefined && !jsonBody) {
      report('sends a JSON body, but the operation takes none');
    } else if (request.body === undefined && operation.requestBody?.required) {
      report('the operation requires a request body');
    } else if (request.body !== undefined && compiled.body && !compiled.body(request.body)) {
      report(`body: ${formatErrors(compiled.body.errors)}`);
    }
    return violations;
  }

  private compile(route: Route): CompiledOperation {
    const key = `${route.method} ${route.template}`;
    const cached = this.compiled.get(key);
    if (cached) return cached;
    const group = (where: 'path' | 'query') => {
      const ps = (route.operation.parameters ?? []).filter((p) => p.in === where);
      return {
        type: 'object',
        properties: Object.fromEntries(ps.map((p) => [p.name, p.schema ?? {}])),
        required: ps.filter((p) => p.required).map((p) => p.name),
      };
    };
    const schema = { type: 'object', properties: { path: group('path'), query: group('query') } };
    const bodySchema = route.operation.requestBody?.content?.['application/json']?.schema;
    const result: CompiledOperation = {
      params: this.paramAjv.compile(schema),
      body: bodySchema ? this.bodyAjv.compile(bodySchema) : undefined,
    };
    this.compiled.set(key, result);
    return result;
  }
}

let shared: OpenApiValidator | undefined;

/** Loads the ~70 MB dereferenced description once per test file (module instance). */
export function openApiValidator(): OpenApiValidator {
  if (!shared) {
    const require = createRequire(import.meta.url);
    const file = require.resolve('@octokit/openapi/generated/api.github.com.deref.json');
    shared = new OpenApiValidator(JSON.parse(readFileSync(file, 'utf8')));
  }
  return shared;
}

/** GitHub's documented limits for a check-run create/update body that the schema leaves out. */
export function checkRunLimitProblems(body: unknown): string[] {
  const problems: string[] = [];
  if (!body || typeof body !== 'object') return problems;
  const b = body as {
    status?: string;
    conclusion?: string;
    completed_at?: string;
    output?: { title?: unknown; summary?: unknown; text?: unknown; annotations?: Array<Record<string, unknown>> };
    actions?: Array<{ label?: string; description?: string; identifier?: string }>;
  };
  if ((b.status === 'completed' || b.completed_at) && !b.conclusion) problems.push('status completed (or completed_at) without a conclusion');
  if (b.conclusion === 'stale') problems.push('only GitHub may set the conclusion "stale"');
  const out = b.output;
  if (out) {
    if (typeof out.title !== 'string' || typeof out.summary !== 'string') problems.push('output needs both title and summary');
    if (typeof out.summary === 'string' && out.summary.length > 65535) problems.push(`output.summary has ${out.summary.length} characters (max 65535)`);
    if (typeof out.text === 'string' && out.text.length > 65535) problems.push(`output.text has ${out.text.length} characters (max 65535)`);
    const annotations = out.annotations ?? [];
    if (annotations.length > 50) problems.push(`${annotations.length} annotations in one request (max 50)`);
    annotations.forEach((a, i) => {
      const at = `output.annotations[${i}]`;
      for (const key of ['path', 'start_line', 'end_line', 'annotation_level', 'message']) {
        if (a[key] === undefined || a[key] === null) problems.push(`${at}.${key} is required`);
      }
      if (typeof a.title === 'string' && a.title.length > 255) problems.push(`${at}.title has ${a.title.length} characters (max 255)`);
      for (const key of ['message', 'raw_details']) {
        const v = a[key];
        if (typeof v === 'string' && Buffer.byteLength(v) > 65535) problems.push(`${at}.${key} is over 64 KB`);
      }
      if (typeof a.start_line === 'number' && typeof a.end_line === 'number' && a.end_line < a.start_line) problems.push(`${at}: end_line before start_line`);
      if ((a.start_column !== undefined || a.end_column !== undefined) && a.start_line !== a.end_line) {
        problems.push(`${at}: start_column/end_column are only allowed when start_line equals end_line`);
      }
    });
  }
  const actions = b.actions ?? [];
  if (actions.length > 3) problems.push(`${actions.length} actions (max 3)`);
  actions.forEach((a, i) => {
    const at = `actions[${i}]`;
    for (const [key, max] of [
      ['label', 20],
      ['description', 40],
      ['identifier', 20],
    ] as const) {
      const v = a[key];
      if (typeof v !== 'string' || v.length === 0) problems.push(`${at}.${key} is required`);
      else if (v.length > max) problems.push(`${at}.${key} "${v}" has ${v.length} characters (max ${max})`);
    }
  });
  return problems;
}

/** Comment bodies (issue comments, reviews, review comments) are capped at 65536 characters. */
export function commentBodyProblems(body: unknown, where: string): string[] {
  const text = (body as { body?: unknown } | undefined)?.body;
  return typeof text === 'string' && text.length > 65536 ? [`${where} body has ${text.length} characters (max 65536)`] : [];
}

function formatErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .slice(0, 8)
    .map((e) => `${e.instancePath || '/'} ${e.message}${e.params && Object.keys(e.params).length ? ' ' + JSON.stringify(e.params) : ''}`)
    .join('; ');
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    // A malformed escape is kept as sent; the schema check then reports the odd value.
    return s;
  }
}
