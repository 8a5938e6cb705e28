import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Ajv as AjvCore, ErrorObject } from 'ajv';
import AjvDraft04Module from 'ajv-draft-04';
import addFormatsModule from 'ajv-formats';

// Both are CommonJS with `export default`; under NodeNext their default import may be the module object.
const cjsDefault = <T>(module: T): T => (module as unknown as { default?: T }).default ?? module;
const AjvDraft04 = cjsDefault(AjvDraft04Module) as unknown as typeof AjvDraft04Module.default;
const addFormats = cjsDefault(addFormatsModule) as unknown as (ajv: AjvCore) => AjvCore;

/**
 * A validator for the SARIF 2.1.0 JSON schema (sarif-2.1.0-rtm.5, draft-04) as the
 * @microsoft/jest-sarif package ships it; returns the schema errors of a log, none when it is valid.
 */
export function sarifValidator(): (log: unknown) => string[] {
  const require = createRequire(import.meta.url);
  const path = require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');
  const schema = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  // The schema's `language` pattern has a stray `]`, which only a non-unicode RegExp accepts.
  const ajv = new AjvDraft04({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormats(ajv as unknown as AjvCore);
  const validate = ajv.compile(schema);
  return (log) => (validate(log) ? [] : (validate.errors ?? []).map((e: ErrorObject) => `${e.instancePath} ${e.message ?? ''}`));
}
