// Records and forms drawn from the API's own OpenAPI document: every field's
// type, code list (x-codelist), reference (x-references), limits and
// whether it is required come from the server, so a resource the server
// knows gets a working form without a page written for it, and a rule
// changed on the server is the rule the form shows.
import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { get, listAll, post, type FieldError } from './api';
import { agencies, agencyName } from './data';
import { useI18n } from './i18n';
import { Code, CodeChecks, CodeSelect, DateText, Select, SubForm, TextInput, useAsync } from './ui';

type Schema = { type?: string; format?: string; properties?: Record<string, Schema>; items?: Schema; required?: string[]; enum?: string[]; maxLength?: number; readOnly?: boolean; description?: string; 'x-codelist'?: string; 'x-references'?: string; 'x-default'?: string; $ref?: string };
interface OpenApi {
  paths: Record<string, Record<string, any>>;
  components: { schemas: Record<string, Schema> };
}

let doc: Promise<OpenApi> | null = null;
function openapi(): Promise<OpenApi> {
  if (!doc) {
    doc = get<OpenApi>('/openapi.json');
    doc.catch(() => (doc = null));
  }
  return doc;
}

// The schemas of a resource's record and of its create body.
export async function resourceSchemas(resource: string): Promise<{ record: Schema; input: Schema } | null> {
  const d = await openapi();
  const ref: string | undefined = d.paths[`/api/v1/${resource}`]?.post?.requestBody?.content?.['application/json']?.schema?.$ref;
  if (!ref) return null;
  const name = ref.split('/').pop()!;
  const input = d.components.schemas[name];
  const record = d.components.schemas[name.replace(/Input$/, '')] ?? input;
  return input ? { record, input } : null;
}

// "clm_Amount" -> "Amount", "emp_ContractStart" -> "Contract start",
// "employer_id" -> "Employer".
export function fieldLabel(name: string): string {
  const bare = name.replace(/^[a-z]{2,4}_/, '').replace(/_id$/, '').replace(/_/g, ' ');
  const words = bare.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const META = new Set(['id', 'version', 'created_at', 'updated_at']);

function Value({ s, v }: { s: Schema; v: any }) {
  if (v === null || v === undefined || v === '') return null;
  if (s['x-codelist']) return <Code list={s['x-codelist']} code={v} />;
  if (s.type === 'array' && s.items?.['x-codelist'])
    return (
      <>
        {(v as string[]).map((x) => (
          <span key={x} class="chip">
            <Code list={s.items!['x-codelist']!} code={x} />
          </span>
        ))}
      </>
    );
  if (s.format === 'date' || s.format === 'date-time') return <DateText value={v} time={s.format === 'date-time'} />;
  if (s.type === 'object' && s.properties)
    return (
      <>
        {Object.entries(s.properties)
          .filter(([k]) => v[k] !== undefined)
          .map(([k, sub], i) => (
            <span key={k}>
              {i > 0 && ' '}
              <Value s={sub} v={v[k]} />
            </span>
          ))}
      </>
    );
  if (s.type === 'array') return <>{(v as any[]).map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(', ')}</>;
  if (typeof v === 'boolean') return <>{v ? '✓' : '✗'}</>;
  return <>{String(v)}</>;
}

// The filled-in fields of one record (references and metadata left out).
export function RecordFacts({ schema, record }: { schema: Schema; record: Record<string, any> }) {
  const fields = Object.entries(schema.properties ?? {}).filter(([k, s]) => !META.has(k) && !s['x-references'] && record[k] !== undefined && record[k] !== null);
  return (
    <dl class="facts">
      {fields.map(([k, s]) => (
        <Fragment key={k}>
          <dt>{fieldLabel(k)}</dt>
          <dd>
            <Value s={s} v={record[k]} />
          </dd>
        </Fragment>
      ))}
    </dl>
  );
}

type Values = Record<string, any>;

// Options for a reference: records of the same case for resources under a
// case, agencies by name, other reference data by its name field.
function useRefOptions(target: string | undefined, caseId: string) {
  const { lang } = useI18n();
  return useAsync(async () => {
    if (!target) return [];
    if (target === 'agencies') {
      const list = await agencies();
      return list.map((a) => ({ value: a.id, label: agencyName(list, a.id, lang) }));
    }
    const scoped = ['employment-episodes', 'trafficking-events', 'claims', 'immigration-statuses', 'consents'].includes(target);
    const items: any[] = await listAll('/' + target, scoped ? { case_id: caseId } : {}, 300).catch(() => []);
    return items.map((x) => {
      const name = x.org_Name ?? x.loc_NameEn ?? x.emp_JobTitle ?? x.hte_City ?? x.created_at?.slice(0, 10) ?? x.id;
      return { value: x.id, label: String(name) };
    });
  }, [target, caseId, lang]);
}

function RefField(props: { name: string; s: Schema; value: string; onChange: (v: string) => void; errors: FieldError[]; required: boolean; caseId: string }) {
  const opts = useRefOptions(props.s['x-references'], props.caseId);
  return <Select label={fieldLabel(props.name.split('.').pop()!)} name={props.name} value={props.value} options={opts.data ?? []} onChange={props.onChange} errors={props.errors} required={props.required} />;
}

function Input(props: { name: string; s: Schema; value: any; onChange: (v: any) => void; errors: FieldError[]; required: boolean; caseId: string }) {
  const { name, s, value, onChange, errors, required } = props;
  const label = fieldLabel(name.split('.').pop()!);
  if (s['x-references']) return <RefField {...props} />;
  if (s['x-codelist']) return <CodeSelect label={label} name={name} list={s['x-codelist']} value={value ?? ''} onChange={onChange} errors={errors} required={required} sort={s['x-codelist'] === 'country'} />;
  if (s.type === 'array' && s.items?.['x-codelist'])
    return <CodeChecks label={label} name={name} list={s.items['x-codelist']} value={value ?? []} onChange={onChange} errors={errors} required={required} />;
  if (s.type === 'boolean')
    return (
      <label class="check">
        <input type="checkbox" name={name} checked={!!value} onChange={() => onChange(!value)} /> {label}
      </label>
    );
  if (s.type === 'object' && s.properties)
    return (
      <fieldset class="checks">
        <legend>{label}</legend>
        {Object.entries(s.properties).map(([k, sub]) => (
          <Input key={k} name={`${name}.${k}`} s={sub} value={value?.[k]} onChange={(x) => onChange({ ...(value ?? {}), [k]: x })} errors={errors} required={false} caseId={props.caseId} />
        ))}
      </fieldset>
    );
  if (s.type === 'array' && s.items?.type === 'string')
    return <TextInput label={label} name={name} value={(value ?? []).join(', ')} onInput={(x) => onChange(x.split(',').map((y) => y.trim()).filter(Boolean))} errors={errors} required={required} />;
  if (s.type === 'number' || s.type === 'integer')
    return <TextInput label={label} name={name} type="number" value={value === undefined ? '' : String(value)} onInput={(x) => onChange(x === '' ? undefined : Number(x))} errors={errors} required={required} />;
  if (s.type === 'string')
    return (
      <TextInput
        label={label}
        name={name}
        type={s.format === 'date' ? 'date' : 'text'}
        value={value ?? ''}
        onInput={onChange}
        errors={errors}
        required={required}
        multiline={(s.maxLength ?? 200) > 200}
      />
    );
  return null; // lists of objects: edited on their own pages
}

// Drops empty values (an empty string is not a value), recursively.
function clean(v: Values): Values {
  const out: Values = {};
  for (const [k, x] of Object.entries(v)) {
    if (x === undefined || x === null || x === '' || (Array.isArray(x) && x.length === 0)) continue;
    if (typeof x === 'object' && !Array.isArray(x)) {
      const inner = clean(x);
      if (Object.keys(inner).length) out[k] = inner;
    } else out[k] = x;
  }
  return out;
}

// A new record of `resource` under a case, every field from the schema.
export function SchemaForm(props: { resource: string; input: Schema; caseId: string; label: string; onDone: () => void }) {
  const [v, setV] = useState<Values>({});
  const fields = Object.entries(props.input.properties ?? {}).filter(([k, s]) => k !== 'case_id' && !s.readOnly && !(s.type === 'array' && s.items?.type === 'object'));
  const required = new Set(props.input.required ?? []);
  // Required fields first, then the schema's order.
  fields.sort(([a], [b]) => Number(required.has(b)) - Number(required.has(a)));
  return (
    <SubForm
      label={props.label}
      titleId={`new-${props.resource}`}
      shown={fields.map(([k]) => k)}
      onOpen={() => setV({})}
      submit={() => post('/' + props.resource, { ...clean(v), case_id: props.caseId })}
      onDone={props.onDone}
    >
      {(errors) => (
        <>
          {fields.map(([k, s]) => (
            <Input key={k} name={k} s={s} value={v[k]} onChange={(x) => setV((old) => ({ ...old, [k]: x }))} errors={errors} required={required.has(k)} caseId={props.caseId} />
          ))}
        </>
      )}
    </SubForm>
  );
}
