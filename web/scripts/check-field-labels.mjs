// Every field the schema-driven forms and record views show has a Lao and
// an English label in src/strings/fields.json (issue 6: Lao and English
// complete). The fields come from the server's own OpenAPI document, so a
// field added on the server without a label fails this check.
//
//   node scripts/check-field-labels.mjs openapi.json   (or an http URL)
//
// The e2e test runs it against the served document (tests/e2e/web_e2e.mjs).
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

// The resources whose forms or record views the web app draws from the
// schema: the case details (pages/cases.tsx) and the plan of action and
// directives (pages/taskforce.tsx).
export const FORM_RESOURCES = [
  'trafficking-events',
  'employment-episodes',
  'claims',
  'immigration-statuses',
  'taskforces',
  'taskforce-members',
  'taskforce-meetings',
  'plan-objectives',
  'plan-activities',
  'plan-indicators',
  'directives',
  'directive-recipients',
];
const META = new Set(['id', 'version', 'created_at', 'updated_at']);
const LANGS = ['lo', 'en'];

export function loadLabels() {
  return JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'strings', 'fields.json'), 'utf8'));
}

// The field names (nested ones too) of the create and record schemas of
// `resources`, and the resources the document does not describe.
export function formFields(doc, resources = FORM_RESOURCES) {
  const fields = new Set();
  const unknown = [];
  const walk = (schema) => {
    for (const [name, sub] of Object.entries(schema?.properties ?? {})) {
      if (!META.has(name)) fields.add(name);
      walk(sub);
      walk(sub.items);
    }
  };
  for (const r of resources) {
    const ref = doc.paths?.[`/api/v1/${r}`]?.post?.requestBody?.content?.['application/json']?.schema?.$ref;
    const input = ref && doc.components.schemas[ref.split('/').pop()];
    if (!input) {
      unknown.push(r);
      continue;
    }
    walk(input);
    walk(doc.components.schemas[ref.split('/').pop().replace(/Input$/, '')]);
  }
  return { fields: [...fields].sort(), unknown };
}

// "field: lang" for every missing label, and the resources not found.
export function missingLabels(doc, labels = loadLabels(), resources = FORM_RESOURCES) {
  const { fields, unknown } = formFields(doc, resources);
  const missing = [];
  for (const f of fields) for (const l of LANGS) if (!labels[f]?.[l]?.trim()) missing.push(`${f}: ${l}`);
  return { missing, unknown, checked: fields.length };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const src = process.argv[2];
  if (!src) {
    console.error('usage: check-field-labels.mjs OPENAPI_JSON_FILE_OR_URL');
    process.exit(2);
  }
  const doc = /^https?:/.test(src) ? await (await fetch(src)).json() : JSON.parse(readFileSync(src, 'utf8'));
  const { missing, unknown, checked } = missingLabels(doc);
  if (unknown.length) console.error(`field labels: resources not in the document: ${unknown.join(', ')}`);
  if (missing.length) console.error(`field labels missing (${missing.length}):\n  ${missing.join('\n  ')}`);
  if (unknown.length || missing.length) process.exit(1);
  console.log(`field labels: ${checked} fields of ${FORM_RESOURCES.length} resources labelled in Lao and English`);
}
