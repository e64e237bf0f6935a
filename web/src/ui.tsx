// Small building blocks: data loading, code-list selects, fields that show
// the server's validation message next to themselves.
import type { ComponentChildren, FunctionComponent } from 'preact';
import { useEffect, useState, useCallback } from 'preact/hooks';
import { ApiError, onSessionRenewed, type FieldError } from './api';
import { codelist, labelOf, useI18n, formatDate, type CodeItem, type Key } from './i18n';

// Loads data for a page. While it reloads (the same record again, or after
// signing in again) the previous data stays, so nothing below it unmounts
// and no form loses what was typed; other deps (another record) start empty.
export function useAsync<T>(f: () => Promise<T>, deps: unknown[]) {
  const key = JSON.stringify(deps);
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean; key?: string }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ data: s.key === key ? s.data : undefined, key, loading: true }));
    f().then(
      (data) => live && setState({ data, key, loading: false }),
      (error) =>
        live &&
        setState((s) => ({
          data: s.key === key ? s.data : undefined,
          key,
          error: error instanceof ApiError ? error : new ApiError(0, 'client', String(error)),
          loading: false,
        })),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  useEffect(() => onSessionRenewed(reload), [reload]);
  return { ...state, reload };
}

export function useCodelist(name: string): CodeItem[] | undefined {
  const [items, setItems] = useState<CodeItem[] | undefined>();
  useEffect(() => {
    codelist(name).then(setItems, () => setItems([]));
  }, [name]);
  return items;
}

export function Code({ list, code }: { list: string; code?: string }) {
  const items = useCodelist(list);
  const { lang } = useI18n();
  if (!code) return null;
  return <>{labelOf(items, code, lang)}</>;
}

export function DateText({ value, time }: { value?: string; time?: boolean }) {
  const { lang } = useI18n();
  if (!value) return null;
  return <time dateTime={value}>{formatDate(lang, value, time)}</time>;
}

export function Loading() {
  const { t } = useI18n();
  return (
    <p class="muted" role="status">
      {t('loading')}
    </p>
  );
}

export function errorText(t: (k: Key) => string, e: ApiError): string {
  if (e.status === 0) return t('err_network');
  if (e.status === 503) return t('err_unavailable');
  if (e.status === 401) return t('err_session');
  if (e.status === 403) return t('err_forbidden');
  if (e.status === 404) return t('err_not_found');
  if (e.status === 409) return t('err_conflict') + ' ' + e.message;
  if (e.status === 400) return t('err_invalid');
  return e.message;
}

export function ErrorBox({ error, onRetry }: { error?: ApiError | null; onRetry?: () => void }) {
  const { t } = useI18n();
  if (!error) return null;
  return (
    <div class="error" role="alert">
      <span>{errorText(t, error)}</span>
      {onRetry && (
        <button type="button" class="link" onClick={onRetry}>
          {t('retry')}
        </button>
      )}
    </div>
  );
}

// The server's message for a field ("prs_FirstName", "scr_Indicators[0].ind_Answer").
export function fieldError(errors: FieldError[] | undefined, path: string): FieldError | undefined {
  return errors?.find((e) => e.path === path || e.path.startsWith(path + '[') || e.path.startsWith(path + '.'));
}

let ids = 0;
function useId(prefix: string) {
  const [id] = useState(() => `${prefix}-${++ids}`);
  return id;
}

function ruleText(t: (k: Key) => string, e: FieldError): string {
  const key = ('rule_' + e.rule) as Key;
  const s = t(key);
  return s === key ? e.message : s;
}

interface FieldProps {
  label: string;
  name: string;
  errors?: FieldError[];
  hint?: string;
  required?: boolean;
  children: (id: string, describedBy: string | undefined, invalid: boolean) => ComponentChildren;
}
export function Field({ label, name, errors, hint, required, children }: FieldProps) {
  const { t } = useI18n();
  const id = useId('f');
  const err = fieldError(errors, name);
  const described = [hint ? id + '-hint' : '', err ? id + '-err' : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div class={'field' + (err ? ' invalid' : '')}>
      <label for={id}>
        {label}
        {required && <span aria-hidden="true"> *</span>}
      </label>
      {hint && (
        <small id={id + '-hint'} class="muted">
          {hint}
        </small>
      )}
      {children(id, described, !!err)}
      {err && (
        <small id={id + '-err'} class="field-error" data-field={name}>
          {ruleText(t, err)}
        </small>
      )}
    </div>
  );
}

export function TextInput(props: {
  label: string;
  name: string;
  value: string | undefined;
  onInput: (v: string) => void;
  errors?: FieldError[];
  type?: string;
  required?: boolean;
  hint?: string;
  autoComplete?: string;
  multiline?: boolean;
  inputMode?: string;
}) {
  return (
    <Field label={props.label} name={props.name} errors={props.errors} hint={props.hint} required={props.required}>
      {(id, described, invalid) =>
        props.multiline ? (
          <textarea
            id={id}
            name={props.name}
            value={props.value ?? ''}
            aria-describedby={described}
            aria-invalid={invalid}
            required={props.required}
            onInput={(e) => props.onInput((e.target as HTMLTextAreaElement).value)}
          />
        ) : (
          <input
            id={id}
            name={props.name}
            type={(props.type ?? 'text') as any}
            value={props.value ?? ''}
            aria-describedby={described}
            aria-invalid={invalid}
            required={props.required}
            autoComplete={props.autoComplete}
            inputMode={props.inputMode as any}
            onInput={(e) => props.onInput((e.target as HTMLInputElement).value)}
          />
        )
      }
    </Field>
  );
}

export function CodeSelect(props: {
  label: string;
  name: string;
  list: string;
  value: string | undefined;
  onChange: (v: string) => void;
  errors?: FieldError[];
  required?: boolean;
  allLabel?: string;
  sort?: boolean;
}) {
  const items = useCodelist(props.list);
  const { lang, t } = useI18n();
  const shown = items ? [...items] : [];
  if (props.sort) shown.sort((a, b) => labelOf(items, a.code, lang).localeCompare(labelOf(items, b.code, lang), lang));
  return (
    <Field label={props.label} name={props.name} errors={props.errors} required={props.required}>
      {(id, described, invalid) => (
        <select
          id={id}
          name={props.name}
          value={props.value ?? ''}
          aria-describedby={described}
          aria-invalid={invalid}
          onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)}
        >
          <option value="">{props.allLabel ?? t('choose')}</option>
          {shown.map((i) => (
            // `selected` too: a select given its value before its options
            // (the list loads after the field) would otherwise show none.
            <option key={i.code} value={i.code} selected={i.code === props.value}>
              {labelOf(items, i.code, lang)}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

export function Select(props: {
  label: string;
  name: string;
  value: string | undefined;
  options: { value: string; label: string }[];
  onChange: (v: string) => void;
  errors?: FieldError[];
  required?: boolean;
  allLabel?: string;
}) {
  const { t } = useI18n();
  return (
    <Field label={props.label} name={props.name} errors={props.errors} required={props.required}>
      {(id, described, invalid) => (
        <select
          id={id}
          name={props.name}
          value={props.value ?? ''}
          aria-describedby={described}
          aria-invalid={invalid}
          onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)}
        >
          <option value="">{props.allLabel ?? t('choose')}</option>
          {props.options.map((o) => (
            <option key={o.value} value={o.value} selected={o.value === props.value}>
              {o.label}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

// A person's name as written (any script), with the Latin spelling beside it.
export function PersonName({ p }: { p: Record<string, any> | undefined }) {
  const { t } = useI18n();
  if (!p) return null;
  const written = [p.prs_FirstName, p.prs_MiddleName, p.prs_SecondName].filter(Boolean).join(' ');
  const latin: string[] = p.prs_LatinNames ?? [];
  if (!written && latin.length === 0) return <span class="muted">{t('name_hidden')}</span>;
  return (
    <span class="person-name">
      {written && <bdi dir="auto">{written}</bdi>}
      {latin.length > 0 && (
        <span class="latin" lang="en">
          {written ? ' · ' : ''}
          {latin.join(', ')}
        </span>
      )}
    </span>
  );
}

export function StatusBadge({ list, code }: { list: string; code?: string }) {
  if (!code) return null;
  return (
    <span class={'badge badge-' + code.toLowerCase()}>
      <Code list={list} code={code} />
    </span>
  );
}

// A form's error summary: the message, and the server's field errors that no
// field of the form shows (those shown are next to their field already).
export function FormErrors({ error, shown, onRetry }: { error: ApiError | null; shown: string[]; onRetry?: () => void }) {
  const { t } = useI18n();
  if (!error) return null;
  const other = error.fields.filter((f) => !shown.some((s) => f.path === s || f.path.startsWith(s + '[') || f.path.startsWith(s + '.')));
  return (
    <div class="error" role="alert">
      <span>{error.fields.length && !other.length ? t('err_invalid') : errorText(t, error)}</span>
      {other.length > 0 && (
        <ul>
          {other.map((f, i) => (
            <li key={i}>
              {f.path && <code lang="en">{f.path}</code>} {ruleText(t, f)}
            </li>
          ))}
        </ul>
      )}
      {onRetry && (
        <button type="button" class="link" onClick={onRetry}>
          {t('retry')}
        </button>
      )}
    </div>
  );
}

// A set of codes as checkboxes (a CodeSet field such as inv_Offences).
export function CodeChecks(props: { list: string; value: string[]; onChange: (v: string[]) => void; errors: FieldError[]; name: string; label: string; required?: boolean }) {
  const items = useCodelist(props.list);
  const { lang } = useI18n();
  return (
    <Field label={props.label} name={props.name} errors={props.errors} required={props.required}>
      {(id, described) => (
        <div class="checks" id={id} role="group" aria-describedby={described}>
          {items?.map((i) => (
            <label key={i.code} class="check">
              <input
                type="checkbox"
                name={props.name}
                value={i.code}
                checked={props.value.includes(i.code)}
                onChange={(e) =>
                  props.onChange((e.target as HTMLInputElement).checked ? [...props.value, i.code] : props.value.filter((x) => x !== i.code))
                }
              />{' '}
              {labelOf(items, i.code, lang)}
            </label>
          ))}
        </div>
      )}
    </Field>
  );
}

// A form for one record or step that opens from a button. `submit` sends it;
// a refusal shows each field's message next to the field (children get the
// field errors) and the rest above the buttons; success closes the form,
// shows `sentMessage` (if any) beside the button and calls `onDone`.
export function SubForm(props: {
  label: string; // the opening button and the heading
  titleId: string;
  level?: 2 | 3;
  buttonClass?: string; // of the opening button; 'secondary' by default
  submitLabel?: string;
  sentMessage?: string;
  shown: string[]; // fields that show their own message
  onOpen?: () => void;
  initiallyOpen?: boolean; // opened by the caller (e.g. "edit" on a row)
  onCancel?: () => void;
  submit: () => Promise<unknown>;
  onDone?: () => void;
  children: (errors: FieldError[]) => ComponentChildren;
}) {
  const { t } = useI18n();
  const [open, setOpen] = useState(props.initiallyOpen ?? false);
  const [sent, setSent] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  if (!open)
    return (
      <p>
        <button
          type="button"
          class={props.buttonClass ?? 'secondary'}
          onClick={() => {
            props.onOpen?.();
            setError(null);
            setSent(false);
            setOpen(true);
          }}
        >
          {props.label}
        </button>
        {sent && props.sentMessage && (
          <span role="status" class="ok">
            {' '}
            {props.sentMessage}
          </span>
        )}
      </p>
    );
  const Heading = props.level === 3 ? 'h3' : 'h2';
  return (
    <form
      noValidate
      class="card"
      aria-labelledby={props.titleId}
      onSubmit={async (e) => {
        e.preventDefault();
        setError(null);
        try {
          await props.submit();
          setOpen(false);
          setSent(true);
          props.onDone?.();
        } catch (err) {
          setError(err instanceof ApiError ? err : new ApiError(0, 'client', String(err)));
        }
      }}
    >
      <Heading id={props.titleId}>{props.label}</Heading>
      {props.children(error?.fields ?? [])}
      {error?.fields.some((f) => f.rule === 'consent_required') && <p class="error">{t('consent_required')}</p>}
      <FormErrors error={error} shown={props.shown} />
      <div class="actions">
        <button type="submit">{props.submitLabel ?? t('save')}</button>
        <button
          type="button"
          class="secondary"
          onClick={() => {
            setOpen(false);
            props.onCancel?.();
          }}
        >
          {t('cancel')}
        </button>
      </div>
    </form>
  );
}

// A page kept out of the first load (the size budget): its module is
// fetched when the page is first opened.
export function LazyPage({ load }: { load: () => Promise<FunctionComponent> }) {
  const [page, setPage] = useState<{ C: FunctionComponent } | null>(null);
  const [failed, setFailed] = useState(false);
  const { t } = useI18n();
  useEffect(() => {
    let live = true;
    load().then(
      (C) => live && setPage({ C }),
      () => live && setFailed(true),
    );
    return () => {
      live = false;
    };
  }, []);
  if (failed) return <p role="alert">{t('err_network')}</p>;
  if (!page) return <Loading />;
  return <page.C />;
}

// The list table of the list pages: a caption for screen readers, one
// header per column, a row per item, a message when there is none. A column
// with `sortKey` sorts the rows shown (a button in its header, aria-sort
// telling which way); the pages' filters go to the server and stay theirs.
export interface Column<T> {
  header: ComponentChildren;
  cell: (row: T, index: number) => ComponentChildren;
  sortKey?: (row: T) => string | number | undefined | null;
}
export function DataTable<T>(props: { caption: string; columns: Column<T>[]; rows: T[]; rowKey: (row: T) => string; empty?: string; class?: string }) {
  const { lang } = useI18n();
  const [sort, setSort] = useState<{ col: number; dir: 1 | -1 } | null>(null);
  let order = props.rows.map((row, i) => ({ row, i }));
  const key = sort && props.columns[sort.col]?.sortKey;
  if (sort && key) {
    const cmp = (a: unknown, b: unknown) =>
      typeof a === 'number' && typeof b === 'number' ? a - b : String(a ?? '').localeCompare(String(b ?? ''), lang, { numeric: true });
    order = [...order].sort((a, b) => sort.dir * cmp(key(a.row), key(b.row)));
  }
  if (props.rows.length === 0 && props.empty) return <p class="muted">{props.empty}</p>;
  return (
    <table class={'list' + (props.class ? ' ' + props.class : '')}>
      <caption class="sr-only">{props.caption}</caption>
      <thead>
        <tr>
          {props.columns.map((c, i) => (
            <th key={i} scope="col" aria-sort={sort?.col === i ? (sort.dir === 1 ? 'ascending' : 'descending') : undefined}>
              {c.sortKey ? (
                <button type="button" class="link" onClick={() => setSort(sort?.col === i ? { col: i, dir: sort.dir === 1 ? -1 : 1 } : { col: i, dir: 1 })}>
                  {c.header}
                  <span aria-hidden="true">{sort?.col === i ? (sort.dir === 1 ? ' ▲' : ' ▼') : ' ↕'}</span>
                </button>
              ) : (
                c.header
              )}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {order.map(({ row, i }) => (
          <tr key={props.rowKey(row)}>
            {props.columns.map((c, j) => (
              <td key={j}>{c.cell(row, i)}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
