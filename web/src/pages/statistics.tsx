// Statistics (issue 5 through the reports API): the assistance report as the
// province publishes it, SDG 16.2.2 and the referral and repatriation flows.
// Loaded on demand (it is not needed for the first screen). Counts the
// server suppressed for disclosure control stay suppressed here: they show
// as "<k" and are never guessed from totals.
import { useState } from 'preact/hooks';
import { api, get, query, type ApiError, type FieldError } from '../api';
import { tagOf, useI18n, type Key } from '../i18n';
import { agencies, agencyName } from '../data';
import { navigate, useLocation } from '../router';
import { useSession } from '../session';
import { Code, ErrorBox, Loading, TextInput, useAsync } from '../ui';

interface Filters {
  location: string;
  from: string;
  to: string;
}

function Count({ value, min }: { value: number | null | undefined; min: number }) {
  const { t, lang } = useI18n();
  if (value === null || value === undefined)
    return (
      <span class="suppressed" title={t('stats_suppressed_hint', { k: min })}>
        {'<' + min}
      </span>
    );
  return <>{new Intl.NumberFormat(tagOf(lang)).format(value)}</>;
}

// A report's own keys (age groups, forms, "Unknown") in the reader's
// language; anything else as the report gives it.
function keyText(t: (k: Key) => string, key: string): string {
  const k = ('stats_key_' + key) as Key;
  const s = t(k);
  return s === k ? key : s;
}

// Horizontal bars with the numbers written out: readable without colour
// and by a screen reader (it is a table).
function Bars({ rows, label, list, min }: { rows: any[]; label: Key; list?: string; min: number }) {
  const { t } = useI18n();
  const max = Math.max(1, ...rows.map((r) => r.persons ?? 0));
  return (
    <table class="list bars">
      <thead>
        <tr>
          <th scope="col">{t(label)}</th>
          <th scope="col">{t('stats_persons')}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.key}>
            <th scope="row">{list && r.key !== 'Unknown' ? <Code list={list} code={r.key} /> : keyText(t, r.key)}</th>
            <td>
              <span class="bar" style={{ width: `${Math.round(((r.persons ?? 0) / max) * 100)}%` }} aria-hidden="true" />
              <Count value={r.persons} min={min} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

// New persons per month as columns; the same numbers as a table for screen
// readers and for copying.
function Monthly({ items }: { items: any[] }) {
  const { t } = useI18n();
  if (!items.length) return null;
  const max = Math.max(1, ...items.map((m) => m.new_persons ?? 0));
  const w = 28;
  const h = 120;
  return (
    <figure class="chart" style={{ maxWidth: `${Math.max(12, items.length * 3)}rem` }}>
      <svg viewBox={`0 0 ${items.length * w} ${h + 34}`} role="img" aria-labelledby="monthly-title" preserveAspectRatio="xMinYMin meet">
        <title id="monthly-title">{t('stats_monthly')}</title>
        {items.map((m, i) => {
          const v = m.new_persons ?? 0;
          const bh = Math.round((v / max) * h);
          return (
            <g key={m.month}>
              <rect x={i * w + 4} y={h - bh + 14} width={w - 8} height={bh} class="column" />
              <text x={i * w + w / 2} y={h - bh + 10} text-anchor="middle" class="value">
                {m.new_persons === null ? '·' : v}
              </text>
              <text x={i * w + w / 2} y={h + 30} text-anchor="middle" class="axis">
                {String(m.month).slice(2)}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption class="muted">{t('stats_monthly')}</figcaption>
    </figure>
  );
}

function AgencyTable({ rows, min, byType }: { rows: any[]; min: number; byType?: boolean }) {
  const { t, lang } = useI18n();
  // Agency names in the reader's language from the agency list; the report
  // itself carries the English name and the code.
  const list = useAsync(() => agencies(), []);
  const typeLabel = (a: any) => {
    const key = ('stats_type_' + a.type) as Key;
    const s = t(key);
    return s === key ? a.label : s;
  };
  const agencyLabel = (a: any) => {
    const known = list.data?.some((x) => x.id === a.agency_id);
    return `${known ? agencyName(list.data, a.agency_id, lang) : a.name_en} (${a.code})`;
  };
  return (
    <table class="list">
      <thead>
        <tr>
          <th scope="col">{t(byType ? 'stats_agency_type' : 'stats_agency')}</th>
          <th scope="col">{t('stats_persons')}</th>
          <th scope="col">{t('stats_women')}</th>
          <th scope="col">{t('stats_nationalities')}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((a) => (
          <tr key={a.code ?? a.type}>
            <th scope="row">{byType ? typeLabel(a) : agencyLabel(a)}</th>
            <td>
              <Count value={a.persons} min={min} />
            </td>
            <td>
              <Count value={a.women} min={min} />
            </td>
            <td>{a.nationalities ?? '–'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

// One report for the filters; the period is half-open [from, to).
function useReport(name: string, f: Filters) {
  return useAsync(() => get(`/reports/${name}` + query({ location: f.location, from: f.from || undefined, to: f.to || undefined })), [name, f]);
}

function Assistance({ f }: { f: Filters }) {
  const { t } = useI18n();
  const r = useReport('assistance', f);
  // Which view the agency tables count by (issue 5: the default table is the
  // lead-agency view; assisted-by shows referrals between agencies on top).
  const [view, setView] = useState<'lead_agency' | 'assisted_by'>('lead_agency');
  if (r.loading && !r.data) return <Loading />;
  if (!r.data) return <ErrorBox error={r.error} onRetry={r.reload} />;
  const d = r.data;
  const min = d.disclosure_control?.min_cell ?? 0;
  const lead = d.lead_agency;
  const b = d.breakdowns ?? {};
  return (
    <>
      <ErrorBox error={r.error} onRetry={r.reload} />
      <div class="grid">
        <article class="card" aria-labelledby="s-persons">
          <h3 id="s-persons">{t('stats_persons_assisted')}</h3>
          <p class="figure" data-figure="persons">
            <Count value={lead.total.persons} min={min} />
          </p>
        </article>
        <article class="card" aria-labelledby="s-women">
          <h3 id="s-women">{t('stats_women')}</h3>
          <p class="figure" data-figure="women">
            <Count value={lead.total.women} min={min} />
          </p>
        </article>
        <article class="card" aria-labelledby="s-nat">
          <h3 id="s-nat">{t('stats_nationalities')}</h3>
          <p class="figure" data-figure="nationalities">
            {lead.total.nationalities}
          </p>
        </article>
        {d.resolved_by_police && (
          <article class="card" aria-labelledby="s-police">
            <h3 id="s-police">{t('stats_resolved_by_police')}</h3>
            <p class="figure" data-figure="resolved">
              <Count value={d.resolved_by_police.persons} min={min} />
            </p>
          </article>
        )}
      </div>
      <fieldset class="view-switch">
        <legend>{t('stats_view')}</legend>
        {(['lead_agency', 'assisted_by'] as const).map((v) => (
          <label key={v} class="check">
            <input type="radio" name="view" value={v} checked={view === v} onChange={() => setView(v)} /> {t(`stats_view_${v}`)}
          </label>
        ))}
      </fieldset>
      <p class="muted">{t(`stats_def_${view}`)}</p>
      <h3>{t('stats_by_agency_type')}</h3>
      <AgencyTable rows={(d[view] ?? lead).agency_types} min={min} byType />
      <h3>{t('stats_by_agency')}</h3>
      <AgencyTable rows={(d[view] ?? lead).agencies} min={min} />
      <Monthly items={d.monthly?.items ?? []} />
      <div class="grid">
        {b.sex && <Bars rows={b.sex} label="stats_sex" list="sex" min={min} />}
        {b.age_band && <Bars rows={b.age_band} label="stats_age_band" min={min} />}
        {b.nationality && <Bars rows={b.nationality} label="stats_nationality" list="country" min={min} />}
        {b.exploitation_type && <Bars rows={b.exploitation_type} label="stats_exploitation" list="exploitation_type" min={min} />}
        {b.trafficking_status && <Bars rows={b.trafficking_status} label="stats_status" list="trafficking_status" min={min} />}
        {b.district && <Bars rows={b.district} label="stats_district" min={min} />}
      </div>
    </>
  );
}

function Sdg({ f }: { f: Filters }) {
  const { t } = useI18n();
  const r = useReport('sdg-16-2-2', f);
  if (r.loading && !r.data) return <Loading />;
  if (!r.data) return <ErrorBox error={r.error} onRetry={r.reload} />;
  const d = r.data;
  const min = d.disclosure_control?.min_cell ?? 0;
  return (
    <>
      <p class="figure" data-figure="sdg-total">
        <Count value={d.total} min={min} />
      </p>
      <p class="muted">{t('stats_def_sdg')}</p>
      <table class="list">
        <thead>
          <tr>
            <th scope="col">{t('stats_sex')}</th>
            <th scope="col">{t('stats_age_group')}</th>
            <th scope="col">{t('stats_persons')}</th>
          </tr>
        </thead>
        <tbody>
          {d.by_sex_and_age_group.map((c: any) => (
            <tr key={c.sex + c.age_group}>
              <td>
                <Code list="sex" code={c.sex} />
              </td>
              <td>{keyText(t, c.age_group)}</td>
              <td>
                <Count value={c.persons} min={min} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Bars rows={d.by_form.map((x: any) => ({ ...x, key: x.form }))} label="stats_form" min={min} />
    </>
  );
}

function Flows({ f }: { f: Filters }) {
  const { t } = useI18n();
  const r = useReport('flows', f);
  if (r.loading && !r.data) return <Loading />;
  if (!r.data) return <ErrorBox error={r.error} onRetry={r.reload} />;
  const d = r.data;
  const min = d.disclosure_control?.min_cell ?? 0;
  const states = Object.keys(d.repatriations.by_state ?? {});
  return (
    <>
      <h3>{t('stats_referrals')}</h3>
      <table class="list">
        <thead>
          <tr>
            <th scope="col">{t('stats_from')}</th>
            <th scope="col">{t('stats_to')}</th>
            <th scope="col">{t('stats_sent')}</th>
            <th scope="col">{t('stats_accepted')}</th>
            <th scope="col">{t('stats_declined')}</th>
            <th scope="col">{t('stats_pending')}</th>
            <th scope="col">{t('overdue')}</th>
          </tr>
        </thead>
        <tbody>
          {d.referrals.items.map((x: any) => (
            <tr key={x.from_agency + x.to_agency}>
              <td>{x.from_agency}</td>
              <td>{x.to_agency}</td>
              {['sent', 'accepted', 'declined', 'pending', 'overdue'].map((k) => (
                <td key={k}>
                  <Count value={x[k]} min={min} />
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <h3>{t('stats_repatriations')}</h3>
      <table class="list">
        <thead>
          <tr>
            <th scope="col">{t('stats_destination')}</th>
            {states.map((s) => (
              <th scope="col" key={s}>
                <Code list="repatriation_status" code={s} />
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {d.repatriations.items.map((x: any) => (
            <tr key={x.destination}>
              <td>
                <Code list="country" code={x.destination} />
              </td>
              {states.map((s) => (
                <td key={s}>
                  <Count value={x.by_state?.[s]} min={min} />
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <h3>{t('stats_investigations')}</h3>
      <ul class="plain">
        {d.investigations.items.map((x: any) => (
          <li key={x.state}>
            <Code list="investigation_status" code={x.state} />: <Count value={x.investigations} min={min} />
          </li>
        ))}
      </ul>
    </>
  );
}

const REPORT_PATHS: Record<string, string> = { assistance: 'assistance', sdg: 'sdg-16-2-2', flows: 'flows' };

// The report as files (issue 5 exports; each download is audited by the
// server): CSV and HXL of the main table, XLSX of every table, and for the
// assistance report the anonymised CTDC microdata (k = 11).
function Downloads({ report, f }: { report: string; f: Filters }) {
  const { t } = useI18n();
  const period = { location: f.location, from: f.from || undefined, to: f.to || undefined };
  const link = (format: string) => `/api/v1/reports/${report}` + query({ ...period, format });
  return (
    <p class="downloads">
      {t('stats_download')}: <a href={link('csv')} download>CSV</a> · <a href={link('xlsx')} download>XLSX</a> ·{' '}
      <a href={link('hxl')} download>HXL</a>
      {report === 'assistance' && (
        <>
          {' · '}
          <a href={'/api/v1/exports/ctdc-microdata' + query({ ...period, format: 'csv' })} download>
            {t('stats_ctdc')}
          </a>
        </>
      )}
    </p>
  );
}

// The HTCDS case export (issue 5): personal data, so only for a role with
// cases:export (which requires a second factor) and only as an encrypted
// archive under a password the user chooses here; the server audits it.
function CaseExport() {
  const { t } = useI18n();
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [failure, setFailure] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setErrors([]);
    setFailure(null);
    setDone(false);
    try {
      const blob = await api<Blob>('POST', '/exports/htcds-cases', { password }, { blob: true });
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = 'ctims-htcds-cases.zip';
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      setPassword('');
      setDone(true);
    } catch (err) {
      const x = err as ApiError;
      const own = (x.fields ?? []).filter((f) => f.path === 'password');
      if (x.status === 400 && own.length) setErrors(own);
      else setFailure(x);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="case-export" aria-labelledby="case-export-title" onSubmit={submit}>
      <h2 id="case-export-title">{t('stats_case_export')}</h2>
      <p class="muted">{t('stats_case_export_hint')}</p>
      <TextInput
        label={t('stats_archive_password')}
        name="password"
        type="password"
        autoComplete="new-password"
        value={password}
        onInput={setPassword}
        errors={errors}
        required
      />
      <button type="submit" disabled={busy}>
        {t('stats_case_export_button')}
      </button>
      <ErrorBox error={failure} />
      {done && <p role="status">{t('stats_case_export_done')}</p>}
    </form>
  );
}

const TABS = [
  { id: 'assistance', label: 'stats_tab_assistance' },
  { id: 'sdg', label: 'stats_tab_sdg' },
  { id: 'flows', label: 'stats_tab_flows' },
] as const;

// Location (a province or district code) and the half-open period.
function FilterForm({ initial, onApply }: { initial: Filters; onApply: (f: Filters) => void }) {
  const { t } = useI18n();
  const [draft, setDraft] = useState<Filters>(initial);
  return (
    <form
      class="filters"
      onSubmit={(e) => {
        e.preventDefault();
        onApply(draft);
      }}
    >
      <label>
        {t('stats_location')}
        <input name="location" value={draft.location} pattern="[A-Z0-9][A-Z0-9-]*" required onInput={(e) => setDraft({ ...draft, location: (e.target as HTMLInputElement).value.toUpperCase() })} />
      </label>
      <label>
        {t('stats_from')}
        <input type="date" name="from" value={draft.from} onInput={(e) => setDraft({ ...draft, from: (e.target as HTMLInputElement).value })} />
      </label>
      <label>
        {t('stats_to_date')}
        <input type="date" name="to" value={draft.to} onInput={(e) => setDraft({ ...draft, to: (e.target as HTMLInputElement).value })} />
      </label>
      <button type="submit">{t('stats_show')}</button>
    </form>
  );
}

// The assistance report on the dashboard of roles that read statistics:
// figures and charts by agency, nationality, sex and month, with the same
// filters as the statistics page.
export function DashboardStatistics() {
  const { t } = useI18n();
  const [filters, setFilters] = useState<Filters>({ location: 'LA', from: '', to: '' });
  return (
    <section aria-labelledby="dash-stats">
      <h2 id="dash-stats">{t('nav_statistics')}</h2>
      <FilterForm initial={filters} onApply={setFilters} />
      <Assistance f={filters} />
    </section>
  );
}

export function Statistics() {
  const { t } = useI18n();
  const { can } = useSession();
  const { params } = useLocation();
  const initial: Filters = { location: params.get('location') || 'LA', from: params.get('from') || '', to: params.get('to') || '' };
  const [filters, setFilters] = useState<Filters>(initial);
  const [tab, setTab] = useState<string>(params.get('tab') || 'assistance');
  if (!can('statistics', 'report'))
    return (
      <section>
        <h1 tabIndex={-1}>{t('nav_statistics')}</h1>
        <p role="alert">{t('err_forbidden')}</p>
      </section>
    );
  const apply = (f: Filters) => {
    setFilters(f);
    navigate('/statistics' + query({ location: f.location, from: f.from || undefined, to: f.to || undefined, tab }), true);
  };
  return (
    <section>
      <h1 tabIndex={-1}>{t('nav_statistics')}</h1>
      <FilterForm initial={initial} onApply={apply} />
      <div role="tablist" class="tabs" aria-label={t('nav_statistics')}>
        {TABS.map((x) => (
          <button
            key={x.id}
            type="button"
            role="tab"
            id={'tab-' + x.id}
            aria-selected={tab === x.id}
            aria-controls="stats-panel"
            class={tab === x.id ? 'tab current' : 'tab'}
            onClick={() => setTab(x.id)}
          >
            {t(x.label)}
          </button>
        ))}
      </div>
      <div role="tabpanel" id="stats-panel" aria-labelledby={'tab-' + tab}>
        <Downloads report={REPORT_PATHS[tab]} f={filters} />
        {tab === 'assistance' && <Assistance f={filters} />}
        {tab === 'sdg' && <Sdg f={filters} />}
        {tab === 'flows' && <Flows f={filters} />}
      </div>
      {can('cases', 'export') && <CaseExport />}
    </section>
  );
}
