// Records and forms drawn from the API's own OpenAPI document: every field's
// type, code list (x-codelist), reference (x-references), limits and
// whether it is required come from the server, so a resource the server
// knows gets a working form without a page written for it, and a rule
// changed on the server is the rule the form shows.
import { Fragment, type ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { get, listAll, post, type FieldError } from './api';
import { agencies, agencyName } from './data';
import { useI18n, type Lang } from './i18n';
import { clearDraft, loadDraft, saveDraft } from './session';
import { Code, CodeChecks, CodeSelect, DateText, Select, SubForm, TextInput, useAsync } from './ui';

export type Schema = { type?: string; format?: string; properties?: Record<string, Schema>; items?: Schema; required?: string[]; enum?: string[]; maxLength?: number; readOnly?: boolean; description?: string; 'x-codelist'?: string; 'x-references'?: string; 'x-default'?: string; $ref?: string };
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

// Field labels in the six languages (strings/fields.json): a chunk of its
// own, fetched with the first schema, so the first load does not carry it.
// scripts/check-field-labels.mjs (run by the e2e against the served
// OpenAPI document) fails when a field of a form has no Lao or English label.
type Labels = Record<string, Partial<Record<Lang, string>>>;
let labels: Labels | null = null;
let labelsLoad: Promise<void> | null = null;
export function loadFieldLabels(): Promise<void> {
  if (!labelsLoad) {
    labelsLoad = import('./strings/fields.json').then(
      (m) => void (labels = m.default as Labels),
      () => void (labelsLoad = null), // offline: derived English until the next schema
    );
  }
  return labelsLoad;
}

// The schemas of a resource's record and of its create body.
export async function resourceSchemas(resource: string): Promise<{ record: Schema; input: Schema } | null> {
  const [d] = await Promise.all([openapi(), loadFieldLabels()]);
  const ref: string | undefined = d.paths[`/api/v1/${resource}`]?.post?.requestBody?.content?.['application/json']?.schema?.$ref;
  if (!ref) return null;
  const name = ref.split('/').pop()!;
  const input = d.components.schemas[name];
  const record = d.components.schemas[name.replace(/Input$/, '')] ?? input;
  return input ? { record, input } : null;
}

// The label of a field in `lang` (English when that language lacks it);
// a field missing from the table gets one derived from its name:
// "clm_Amount" -> "Amount", "emp_ContractStart" -> "Contract start",
// "employer_id" -> "Employer".
export function fieldLabel(name: string, lang: Lang): string {
  const known = labels?.[name];
  const text = known?.[lang] || known?.en;
  if (text) return text;
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
  const { lang } = useI18n();
  const fields = Object.entries(schema.properties ?? {}).filter(([k, s]) => !META.has(k) && !s['x-references'] && record[k] !== undefined && record[k] !== null);
  return (
    <dl class="facts">
      {fields.map(([k, s]) => (
        <Fragment key={k}>
          <dt>{fieldLabel(k, lang)}</dt>
          <dd>
            <Value s={s} v={record[k]} />
          </dd>
        </Fragment>
      ))}
    </dl>
  );
}

// Options for a reference: records of the same case (or taskforce: `scope`
// filters the list), agencies by name, other reference data by its name field.
function useRefOptions(target: string | undefined, scope: Record<string, string>) {
  const { lang } = useI18n();
  return useAsync(async () => {
    if (!target) return [];
    if (target === 'agencies') {
      const list = await agencies();
      return list.map((a) => ({ value: a.id, label: agencyName(list, a.id, lang) }));
    }
    const scoped = ['employment-episodes', 'trafficking-events', 'claims', 'immigration-statuses', 'consents', 'plan-objectives', 'taskforce-meetings'].includes(target);
    const items: any[] = await listAll('/' + target, scoped ? scope : {}, 300).catch(() => []);
    return items.map((x) => {
      const name = x.org_Name ?? x.loc_NameEn ?? x.emp_JobTitle ?? x.hte_City ?? (x.obj_Code && `${x.obj_Code}. ${x.obj_Title}`) ?? x.mtg_Date ?? x.created_at?.slice(0, 10) ?? x.id;
      return { value: x.id, label: String(name) };
    });
  }, [target, JSON.stringify(scope), lang]);
}

type InputProps = { name: string; s: Schema; value: any; onChange: (v: any) => void; errors: FieldError[]; required: boolean; scope: Record<string, string> };

function RefField(props: InputProps) {
  const { lang } = useI18n();
  const opts = useRefOptions(props.s['x-references'], props.scope);
  return <Select label={fieldLabel(props.name.split('.').pop()!, lang)} name={props.name} value={props.value} options={opts.data ?? []} onChange={props.onChange} errors={props.errors} required={props.required} />;
}

function Input(props: InputProps) {
  const { name, s, value, onChange, errors, required } = props;
  const { lang } = useI18n();
  const label = fieldLabel(name.split('.').pop()!, lang);
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
          <Input key={k} name={`${name}.${k}`} s={sub} value={value?.[k]} onChange={(x) => onChange({ ...(value ?? {}), [k]: x })} errors={errors} required={false} scope={props.scope} />
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

type Values = Record<string, any>;
export type CustomInput = (value: any, onChange: (v: any) => void, errors: FieldError[], values: Values) => ComponentChildren;

// A new record of `resource`, every field from the schema: under a case
// (`caseId`), or with other values the page sets (`fixed`, not shown).
// `fields` picks and orders the fields (default: every field the schema
// lets a user type, required first); `custom` gives a field its own input
// (e.g. agencies as checkboxes); `visible` hides a field that does not apply
// to what is typed so far. What is typed is kept as a draft (sessionStorage)
// until it is saved or cancelled, like the registration wizard's.
export function SchemaForm(props: {
  resource: string;
  input: Schema;
  label: string;
  onDone: () => void;
  caseId?: string;
  fixed?: Values;
  fields?: string[];
  custom?: Record<string, CustomInput>;
  visible?: (field: string, values: Values) => boolean;
  initial?: Values;
  level?: 2 | 3;
  draftKey?: string;
  titleId?: string; // the heading's id, when the page has several forms of one resource
  submit?: (body: Values) => Promise<unknown>;
  onCancel?: () => void;
}) {
  const fixed: Values = { ...(props.fixed ?? {}), ...(props.caseId ? { case_id: props.caseId } : {}) };
  const draftKey = props.draftKey ?? `form.${props.resource}.${Object.values(fixed).join('.')}`;
  const blank = JSON.stringify(props.initial ?? {});
  const [draft] = useState(() => loadDraft<Values>(draftKey));
  const [v, setV] = useState<Values>(() => draft ?? props.initial ?? {});
  // Only what was typed is kept; a form left with a draft opens with it.
  useEffect(() => (JSON.stringify(v) === blank ? clearDraft(draftKey) : saveDraft(draftKey, v)), [draftKey, v, blank]);
  const props_ = props.input.properties ?? {};
  const custom = props.custom ?? {};
  let fields: [string, Schema][];
  if (props.fields) fields = props.fields.filter((k) => props_[k] || custom[k]).map((k) => [k, props_[k] ?? {}]);
  else {
    fields = Object.entries(props_).filter(([k, s]) => !(k in fixed) && !s.readOnly && (custom[k] || !(s.type === 'array' && s.items?.type === 'object')));
    const required = new Set(props.input.required ?? []);
    // Required fields first, then the schema's order.
    fields.sort(([a], [b]) => Number(required.has(b)) - Number(required.has(a)));
  }
  const required = new Set(props.input.required ?? []);
  const shown = fields.filter(([k]) => !props.visible || props.visible(k, v));
  const scope: Record<string, string> = props.caseId ? { case_id: props.caseId } : fixed.taskforce_id ? { taskforce_id: fixed.taskforce_id } : {};
  const body = () => {
    const kept: Values = {};
    for (const [k] of shown) if (v[k] !== undefined) kept[k] = v[k];
    return { ...clean(kept), ...fixed };
  };
  return (
    <SubForm
      label={props.label}
      titleId={props.titleId ?? `new-${props.resource}`}
      level={props.level}
      initiallyOpen={!!draft && JSON.stringify(draft) !== blank}
      shown={shown.map(([k]) => k)}
      submit={() => (props.submit ? props.submit(body()) : post('/' + props.resource, body()))}
      onDone={() => {
        clearDraft(draftKey);
        setV(props.initial ?? {});
        props.onDone();
      }}
      onCancel={() => {
        clearDraft(draftKey);
        setV(props.initial ?? {});
        props.onCancel?.();
      }}
    >
      {(errors) => (
        <>
          {shown.map(([k, s]) => {
            const set = (x: any) => setV((old) => ({ ...old, [k]: x }));
            if (custom[k]) return <Fragment key={k}>{custom[k](v[k], set, errors, v)}</Fragment>;
            return <Input key={k} name={k} s={s} value={v[k]} onChange={set} errors={errors} required={required.has(k)} scope={scope} />;
          })}
        </>
      )}
    </SubForm>
  );
}
