import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError, get, listAll, patch, post, query, type FieldError } from '../api';
import { agencies, agencyName } from '../data';
import { RecordFacts, SchemaForm, resourceSchemas } from '../schema';
import { useI18n, type Key } from '../i18n';
import { Link, navigate, useLocation } from '../router';
import { useSession } from '../session';
import {
  Code,
  CodeSelect,
  DataTable,
  DateText,
  ErrorBox,
  Loading,
  PersonName,
  Select,
  StatusBadge,
  SubForm,
  TextInput,
  FormErrors,
  CodeChecks,
  useAsync,
} from '../ui';

export function CaseList() {
  const { t } = useI18n();
  const { params } = useLocation();
  const status = params.get('cas_Status') ?? '';
  const [cursor, setCursor] = useState<string | null>(null);
  const list = useAsync(async () => {
    const page = await get('/cases' + query({ cas_Status: status, limit: 50, cursor }));
    // Names of the people, for the list (each read is audited by the server).
    const persons = await Promise.all(
      page.items.map((c: any) => get('/persons/' + c.person_id).catch(() => null)),
    );
    return { ...page, persons };
  }, [status, cursor]);
  return (
    <section>
      <h1 tabIndex={-1}>{t('nav_cases')}</h1>
      <form noValidate class="filters" onSubmit={(e) => e.preventDefault()} aria-label={t('filters')}>
        <CodeSelect
          label={t('f_status')}
          name="cas_Status"
          list="case_status"
          value={status}
          allLabel={t('all')}
          onChange={(v) => {
            setCursor(null);
            navigate('/cases' + (v ? '?cas_Status=' + v : ''), true);
          }}
        />
      </form>
      {list.loading && <Loading />}
      <ErrorBox error={list.error} onRetry={list.reload} />
      {list.data && (
        <>
          <DataTable
            caption={t('nav_cases')}
            rows={list.data.items}
            rowKey={(c: any) => c.id}
            columns={[
              { header: t('f_name'), cell: (c: any, i) => <Link href={`/cases/${c.id}`}>{list.data!.persons[i] ? <PersonName p={list.data!.persons[i]} /> : t('case')}</Link> },
              { header: t('f_status'), cell: (c: any) => <StatusBadge list="case_status" code={c.cas_Status} /> },
              { header: t('f_trafficking_status'), cell: (c: any) => <Code list="trafficking_status" code={c.vic_TraffickingStatus} /> },
              { header: t('opened_on'), cell: (c: any) => <DateText value={c.cas_OpenedOn} />, sortKey: (c: any) => c.cas_OpenedOn },
            ]}
          />
          {list.data.items.length === 0 && <p class="muted">{t('none_found')}</p>}
          <div class="pager">
            {list.data.next_cursor && (
              <button type="button" class="secondary" onClick={() => setCursor(list.data!.next_cursor)}>
                {t('next_page')}
              </button>
            )}
          </div>
        </>
      )}
    </section>
  );
}

const some = (path: string, params: Record<string, string>) => listAll(path, params).catch(() => [] as any[]);

// What happened to the person, as HTCDS records it: where and how they were
// trafficked, the jobs (contracts sold on, wages promised and paid), the
// fees demanded and wages owed, how they crossed borders. Lists and forms
// come from the API's schema (schema.tsx).
const DETAILS: { resource: string; title: Key }[] = [
  { resource: 'trafficking-events', title: 'sec_trafficking_events' },
  { resource: 'employment-episodes', title: 'sec_employment' },
  { resource: 'claims', title: 'sec_claims' },
  { resource: 'immigration-statuses', title: 'sec_immigration' },
];

function CaseDetails({ caseId, open }: { caseId: string; open: boolean }) {
  const { t } = useI18n();
  const { can } = useSession();
  const data = useAsync(
    () => Promise.all(DETAILS.filter((d) => can(d.resource, 'list')).map(async (d) => ({ ...d, schemas: await resourceSchemas(d.resource), items: await some('/' + d.resource, { case_id: caseId }) }))),
    [caseId],
  );
  if (!data.data) return data.loading ? <Loading /> : <ErrorBox error={data.error} onRetry={data.reload} />;
  return (
    <>
      {data.data.map((d) => (
        <section key={d.resource} aria-labelledby={`sec-${d.resource}`}>
          <h2 id={`sec-${d.resource}`}>{t(d.title)}</h2>
          {d.items.length === 0 && <p class="muted">{t('none_recorded')}</p>}
          {d.schemas &&
            d.items.map((x: any) => (
              <article key={x.id} class="card record">
                <RecordFacts schema={d.schemas!.record} record={x} />
              </article>
            ))}
          {d.schemas && open && can(d.resource, 'create') && (
            <SchemaForm resource={d.resource} input={d.schemas.input} caseId={caseId} label={`${t('add')}: ${t(d.title)}`} onDone={data.reload} />
          )}
        </section>
      ))}
    </>
  );
}

interface Entry {
  screening?: any;
  at: string;
  kind: Key;
  list?: string;
  code?: string;
  status?: { list: string; code: string };
  detail?: string;
}

export function CaseView({ id }: { id: string }) {
  const { t, lang } = useI18n();
  const { can, session } = useSession();
  const kase = useAsync(() => get('/cases/' + id), [id]);
  const person = useAsync(() => (kase.data ? get('/persons/' + kase.data.person_id) : Promise.resolve(null)), [kase.data?.person_id]);
  const orgs = useAsync(agencies, []);
  const timeline = useAsync(async () => {
    if (!kase.data) return null;
    const q = { case_id: id };
    const [history, screenings, assistance, referrals, repatriations, links, consents, immigration] = await Promise.all([
      get('/cases/' + id + '/history').then((r) => r.items ?? r, () => []),
      some('/screenings', q),
      some('/assistance', q),
      some('/referrals', q),
      some('/repatriations', q),
      some('/investigation-victims', q),
      some('/consents', q),
      some('/immigration-statuses', q),
    ]);
    const entries: Entry[] = [];
    for (const h of history as any[]) entries.push({ at: h.at, kind: 'tl_history', detail: h.action });
    for (const s of screenings)
      entries.push({ at: s.scr_Date ?? s.created_at, kind: 'tl_screening', list: 'screening_assessment', code: s.scr_Assessment, status: { list: 'screening_status', code: s.scr_Status }, screening: s });
    for (const a of assistance) entries.push({ at: a.ast_Date, kind: 'tl_assistance', list: 'service_type', code: a.ast_ServiceType });
    for (const r of referrals)
      entries.push({ at: r.ref_RequestedAt ?? r.created_at, kind: 'tl_referral', detail: r.to_agency_id, status: { list: 'referral_status', code: r.ref_Status } });
    for (const r of repatriations) entries.push({ at: r.created_at, kind: 'tl_repatriation', status: { list: 'repatriation_status', code: r.rep_Status } });
    for (const l of links) entries.push({ at: l.created_at, kind: 'tl_investigation', detail: l.investigation_id });
    entries.sort((a, b) => (b.at ?? '').localeCompare(a.at ?? ''));
    return { entries, consents, referrals, immigration };
  }, [kase.data?.version]);

  if (kase.loading && !kase.data) return <Loading />;
  if (kase.error?.status === 404 && !kase.data)
    return (
      <section>
        <h1 tabIndex={-1}>{t('case')}</h1>
        <p>{t('case_not_found_or_protected')}</p>
        {can('cases', 'break_glass') && <BreakGlass id={id} onDone={kase.reload} />}
      </section>
    );
  if (kase.error && !kase.data)
    return (
      <section>
        <h1 tabIndex={-1}>{t('case')}</h1>
        <ErrorBox error={kase.error} onRetry={kase.reload} />
      </section>
    );
  const c = kase.data;
  const agencyLabel = (aid: string) => agencyName(orgs.data, aid, lang);
  return (
    <section>
      <h1 tabIndex={-1}>
        {t('case')}: {person.data ? <PersonName p={person.data} /> : '…'}
      </h1>
      <dl class="facts">
        <dt>{t('f_status')}</dt>
        <dd>
          <StatusBadge list="case_status" code={c.cas_Status} />
          {c.cas_Protected && <span class="badge badge-protected">{t('protected')}</span>}
        </dd>
        <dt>{t('f_trafficking_status')}</dt>
        <dd>
          <Code list="trafficking_status" code={c.vic_TraffickingStatus} />
        </dd>
        <dt>{t('opened_on')}</dt>
        <dd>
          <DateText value={c.cas_OpenedOn} />
        </dd>
        {c.vic_TypeOfExploitation?.length > 0 && (
          <>
            <dt>{t('f_exploitation')}</dt>
            <dd>
              {c.vic_TypeOfExploitation.map((x: string) => (
                <span key={x} class="chip">
                  <Code list="exploitation_type" code={x} />
                </span>
              ))}
            </dd>
          </>
        )}
        {timeline.data?.immigration.map((m: any) => (
          <Fragment key={m.id}>
            <dt>{t('f_border_crossing_how')}</dt>
            <dd>
              <Code list="border_crossing" code={m.imm_BorderCrossing} />
              {m.imm_DocumentStatus && (
                <>
                  {' · '}
                  <Code list="immigration_document_status" code={m.imm_DocumentStatus} />
                </>
              )}
            </dd>
          </Fragment>
        ))}
        <dt>{t('owner_agency')}</dt>
        <dd>{agencyLabel(c.owner_agency_id)}</dd>
        {person.data && (
          <>
            <dt>{t('person')}</dt>
            <dd>
              <Link href={`/persons/${c.person_id}`}>
                <PersonName p={person.data} />
              </Link>
            </dd>
          </>
        )}
      </dl>

      <h2>{t('timeline')}</h2>
      {timeline.loading && <Loading />}
      <ol class="timeline">
        {timeline.data?.entries.map((e, i) => (
          <li key={i}>
            <DateText value={e.at} time={e.at?.length > 10} /> — <strong>{t(e.kind)}</strong>{' '}
            {e.list && <Code list={e.list} code={e.code} />}{' '}
            {e.status && <StatusBadge list={e.status.list} code={e.status.code} />}{' '}
            {e.kind === 'tl_referral' && e.detail && <span>→ {agencyLabel(e.detail)}</span>}
            {e.kind === 'tl_investigation' && e.detail && <Link href={`/investigations/${e.detail}`}>{t('open')}</Link>}
            {e.kind === 'tl_history' && <span class="muted">{actionLabel(t, e.detail)}</span>}
            {e.screening && <ScreeningSteps s={e.screening} onDone={kase.reload} />}
          </li>
        ))}
      </ol>

      <h2>{t('consents')}</h2>
      <ul class="plain">
        {timeline.data?.consents.map((x: any) => (
          <li key={x.id}>
            <Code list="consent_purpose" code={x.cns_Purpose} />: <StatusBadge list="consent_status" code={x.cns_Status} />{' '}
            <DateText value={x.cns_Date} />
            {x.cns_WithdrawnOn && (
              <>
                {' → '}
                <DateText value={x.cns_WithdrawnOn} />
              </>
            )}
            {x.cns_Status === 'Given' && can('consents', 'update') && <WithdrawConsent c={x} onDone={timeline.reload} />}
          </li>
        ))}
      </ul>
      {timeline.data && timeline.data.consents.length === 0 && <p class="muted">{t('no_consent')}</p>}
      {can('consents', 'create') && <ConsentForm caseId={id} onDone={timeline.reload} />}

      <CaseDetails caseId={id} open={!c.cas_Status?.startsWith('Closed')} />

      <CaseSteps c={c} onDone={kase.reload} />
      {can('cases', 'update') && c.owner_agency_id === session.user.agency_id && <ProtectCase c={c} onDone={kase.reload} />}
      {can('assistance', 'create') && !c.cas_Status?.startsWith('Closed') && <AssistanceForm caseId={id} onDone={timeline.reload} />}
      {can('repatriations', 'create') && !c.cas_Status?.startsWith('Closed') && <RepatriationForm caseId={id} onDone={timeline.reload} />}
      {can('transfers', 'create') && c.owner_agency_id === session.user.agency_id && !c.cas_Status?.startsWith('Closed') && (
        <TransferForm caseId={id} ownAgency={c.owner_agency_id} onDone={timeline.reload} />
      )}
      {can('referrals', 'create') && !c.cas_Status?.startsWith('Closed') && (
        <ReferralForm caseId={id} ownAgency={c.owner_agency_id} onDone={timeline.reload} />
      )}
    </section>
  );
}

function BreakGlass({ id, onDone }: { id: string; onDone: () => void }) {
  const { t } = useI18n();
  const [reason, setReason] = useState('');
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  return (
    <form noValidate
      class="card"
      onSubmit={async (e) => {
        e.preventDefault();
        setErrors([]);
        setError(null);
        try {
          await post(`/cases/${id}/break-glass`, { reason });
          onDone();
        } catch (err) {
          const e2 = err as ApiError;
          setErrors(e2.fields);
          setError(e2);
        }
      }}
    >
      <h2>{t('break_glass')}</h2>
      <p>{t('break_glass_help')}</p>
      <TextInput label={t('reason')} name="reason" value={reason} onInput={setReason} errors={errors} required />
      <FormErrors error={error} shown={['reason']} />
      <button type="submit">{t('break_glass_open')}</button>
    </form>
  );
}

function ConsentForm({ caseId, onDone }: { caseId: string; onDone: () => void }) {
  const { t } = useI18n();
  const [v, setV] = useState<Record<string, string>>({ cns_Purpose: '', cns_Status: 'Given' });
  return (
    <SubForm label={t('record_consent')} titleId="consent-title" level={3} shown={['cns_Purpose', 'cns_Status']} submit={() => post('/consents', { case_id: caseId, ...v })} onDone={onDone}>
      {(errors) => (
        <>
          <CodeSelect label={t('f_purpose')} name="cns_Purpose" list="consent_purpose" value={v.cns_Purpose} onChange={(x) => setV({ ...v, cns_Purpose: x })} errors={errors} required />
          <CodeSelect label={t('f_status')} name="cns_Status" list="consent_status" value={v.cns_Status} onChange={(x) => setV({ ...v, cns_Status: x })} errors={errors} required />
        </>
      )}
    </SubForm>
  );
}

export function ServicesField(props: { value: string[]; onChange: (v: string[]) => void; errors: FieldError[]; name: string; label: string }) {
  return <CodeChecks list="service_type" required {...props} />;
}

function ReferralForm({ caseId, ownAgency, onDone }: { caseId: string; ownAgency: string; onDone: () => void }) {
  const { t, lang } = useI18n();
  const { session } = useSession();
  const orgs = useAsync(agencies, []);
  const [v, setV] = useState<{ to_agency_id: string; ref_Reason: string; ref_Urgency: string; ref_ServicesRequested: string[] }>({
    to_agency_id: '',
    ref_Reason: '',
    ref_Urgency: 'Routine',
    ref_ServicesRequested: [],
  });
  const options = (orgs.data ?? [])
    .filter((a) => a.id !== ownAgency && a.id !== session.user.agency_id)
    .map((a) => ({ value: a.id, label: agencyName(orgs.data, a.id, lang) }))
    .sort((a, b) => a.label.localeCompare(b.label, lang));
  return (
    <SubForm
      key={caseId}
      label={t('refer')}
      titleId="refer-title"
      buttonClass=""
      submitLabel={t('send_referral')}
      sentMessage={t('referral_sent')}
      shown={['to_agency_id', 'ref_ServicesRequested', 'ref_Urgency', 'ref_Reason']}
      submit={() => post('/referrals', { case_id: caseId, ...v })}
      onDone={onDone}
    >
      {(errors) => (
        <>
          <Select label={t('f_to_agency')} name="to_agency_id" value={v.to_agency_id} options={options} onChange={(x) => setV({ ...v, to_agency_id: x })} errors={errors} required />
          <ServicesField label={t('f_services')} name="ref_ServicesRequested" value={v.ref_ServicesRequested} onChange={(x) => setV({ ...v, ref_ServicesRequested: x })} errors={errors} />
          <CodeSelect label={t('f_urgency')} name="ref_Urgency" list="referral_urgency" value={v.ref_Urgency} onChange={(x) => setV({ ...v, ref_Urgency: x })} errors={errors} />
          <TextInput label={t('reason')} name="ref_Reason" value={v.ref_Reason} onInput={(x) => setV({ ...v, ref_Reason: x })} errors={errors} multiline required />
        </>
      )}
    </SubForm>
  );
}

const ACTIONS: Record<string, Key> = {
  create: 'act_create',
  update: 'act_update',
  delete: 'act_delete',
  follow_up: 'act_follow_up',
  reactivate: 'act_reactivate',
  request_closure: 'act_request_closure',
  approve_closure: 'act_approve_closure',
  reject_closure: 'act_reject_closure',
  reopen: 'act_reopen',
  screening_decision: 'act_screening_decision',
  transfer: 'act_transfer',
};
function actionLabel(t: (k: Key) => string, action?: string): string {
  const key = action ? ACTIONS[action] : undefined;
  return key ? t(key) : action ?? '';
}

// The case's own steps (domain/workflow.cpp), those its state and the role allow.
const CASE_STEPS: Record<string, string[]> = {
  Active: ['follow_up', 'request_closure'],
  FollowUp: ['reactivate', 'request_closure'],
  ClosureRequested: ['approve_closure', 'reject_closure'],
  Closed: ['reopen'],
  ClosedReferred: ['reopen'],
};
function CaseSteps({ c, onDone }: { c: any; onDone: () => void }) {
  const { t } = useI18n();
  const { can } = useSession();
  const [closing, setClosing] = useState(false);
  const [reason, setReason] = useState('');
  const [note, setNote] = useState('');
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  const steps = (CASE_STEPS[c.cas_Status] ?? []).filter((a) => can('cases', a));
  if (!steps.length) return null;
  const step = async (action: string, body: Record<string, any> = {}) => {
    setErrors([]);
    setError(null);
    try {
      await post(`/cases/${c.id}/transitions/${action}`, { version: c.version, ...body });
      setClosing(false);
      onDone();
    } catch (err) {
      setError(err as ApiError);
      if ((err as ApiError).status === 409) onDone();
      setErrors((err as ApiError).fields);
    }
  };
  return (
    <section aria-labelledby="case-steps">
      <h2 id="case-steps">{t('case_actions')}</h2>
      <div class="actions">
        {steps.map((a) => (
          <button
            key={a}
            type="button"
            class={a === 'request_closure' || a === 'reject_closure' ? 'secondary' : ''}
            onClick={() => (a === 'request_closure' ? setClosing(true) : step(a))}
          >
            {actionLabel(t, a)}
          </button>
        ))}
      </div>
      {closing && (
        <form
          noValidate
          class="card"
          onSubmit={(e) => {
            e.preventDefault();
            const body: Record<string, string> = { closure_reason: reason };
            if (note) body.note = note;
            step('request_closure', body);
          }}
        >
          <CodeSelect label={t('f_closure_reason')} name="closure_reason" list="closure_reason" value={reason} onChange={setReason} errors={errors} required />
          <TextInput label={t('f_notes')} name="note" value={note} onInput={setNote} errors={errors} multiline />
          <button type="submit">{actionLabel(t, 'request_closure')}</button>
        </form>
      )}
      <FormErrors error={error} shown={['closure_reason', 'note']} />
    </section>
  );
}

// A supervisor confirms the server's suggested status, or decides otherwise
// with a reason; either sets the case's trafficking status.
function ScreeningSteps({ s, onDone }: { s: any; onDone: () => void }) {
  const { t } = useI18n();
  const { can } = useSession();
  const [overriding, setOverriding] = useState(false);
  const [status, setStatus] = useState('');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const step = async (action: string, body: Record<string, any> = {}) => {
    setError(null);
    try {
      await post(`/screenings/${s.id}/transitions/${action}`, { version: s.version, ...body });
      setOverriding(false);
      onDone();
    } catch (e) {
      setError(e as ApiError);
    }
  };
  return (
    <>
      {s.scr_SuggestedStatus && (
        <span class="muted">
          {' '}
          ({t('suggested')}: <Code list="trafficking_status" code={s.scr_SuggestedStatus} />)
        </span>
      )}
      {s.scr_Status === 'Submitted' && can('screenings', 'confirm') && s.scr_SuggestedStatus && (
        <button type="button" class="link" onClick={() => step('confirm')}>
          {t('act_confirm')}
        </button>
      )}
      {s.scr_Status === 'Submitted' && can('screenings', 'override') && !overriding && (
        <button type="button" class="link" onClick={() => setOverriding(true)}>
          {t('act_override')}
        </button>
      )}
      {overriding && (
        <form
          noValidate
          class="card"
          aria-labelledby={'ovr-' + s.id}
          onSubmit={(e) => {
            e.preventDefault();
            step('override', { trafficking_status: status, reason });
          }}
        >
          <h3 id={'ovr-' + s.id}>{t('act_override')}</h3>
          <CodeSelect label={t('f_trafficking_status')} name="trafficking_status" list="trafficking_status" value={status} onChange={setStatus} errors={error?.fields} required />
          <TextInput label={t('reason')} name="reason" value={reason} onInput={setReason} errors={error?.fields} required />
          <FormErrors error={error} shown={['trafficking_status', 'reason']} />
          <button type="submit">{t('save')}</button>
        </form>
      )}
      {!overriding && <ErrorBox error={error} />}
    </>
  );
}

function AssistanceForm({ caseId, onDone }: { caseId: string; onDone: () => void }) {
  const { t } = useI18n();
  const { session } = useSession();
  const [v, setV] = useState({ ast_Date: new Date().toISOString().slice(0, 10), ast_ServiceType: '', ast_Notes: '' });
  const submit = async () => {
    const body: Record<string, string> = { case_id: caseId, agency_id: session.user.agency_id, ast_Date: v.ast_Date, ast_ServiceType: v.ast_ServiceType };
    if (v.ast_Notes) body.ast_Notes = v.ast_Notes;
    await post('/assistance', body);
    setV({ ...v, ast_ServiceType: '', ast_Notes: '' });
  };
  return (
    <SubForm label={t('add_assistance')} titleId="ast-title" shown={['ast_Date', 'ast_ServiceType', 'ast_Notes']} submit={submit} onDone={onDone}>
      {(errors) => (
        <>
          <TextInput label={t('f_date')} name="ast_Date" type="date" value={v.ast_Date} onInput={(x) => setV({ ...v, ast_Date: x })} errors={errors} required />
          <CodeSelect label={t('f_service')} name="ast_ServiceType" list="service_type" value={v.ast_ServiceType} onChange={(x) => setV({ ...v, ast_ServiceType: x })} errors={errors} required />
          <TextInput label={t('f_notes')} name="ast_Notes" value={v.ast_Notes} onInput={(x) => setV({ ...v, ast_Notes: x })} errors={errors} multiline />
        </>
      )}
    </SubForm>
  );
}

function RepatriationForm({ caseId, onDone }: { caseId: string; onDone: () => void }) {
  const { t } = useI18n();
  const [v, setV] = useState({ rep_Direction: '', rep_DestinationCountry: '', rep_DestinationPlace: '', rep_PlannedDate: '' });
  const submit = () => {
    const body: Record<string, string> = { case_id: caseId };
    for (const [k, x] of Object.entries(v)) if (x) body[k] = x;
    return post('/repatriations', body);
  };
  return (
    <SubForm label={t('add_repatriation')} titleId="rep-title" shown={['rep_Direction', 'rep_DestinationCountry', 'rep_DestinationPlace', 'rep_PlannedDate']} submit={submit} onDone={onDone}>
      {(errors) => (
        <>
          <CodeSelect label={t('f_direction')} name="rep_Direction" list="repatriation_direction" value={v.rep_Direction} onChange={(x) => setV({ ...v, rep_Direction: x })} errors={errors} required />
          <CodeSelect label={t('f_destination_country')} name="rep_DestinationCountry" list="country" value={v.rep_DestinationCountry} onChange={(x) => setV({ ...v, rep_DestinationCountry: x })} errors={errors} sort />
          <TextInput label={t('f_destination_place')} name="rep_DestinationPlace" value={v.rep_DestinationPlace} onInput={(x) => setV({ ...v, rep_DestinationPlace: x })} errors={errors} />
          <TextInput label={t('planned')} name="rep_PlannedDate" type="date" value={v.rep_PlannedDate} onInput={(x) => setV({ ...v, rep_PlannedDate: x })} errors={errors} />
        </>
      )}
    </SubForm>
  );
}

// Protected: hidden from every other agency unless they break the glass
// (docs/security.md). The owning agency sets or clears it.
function ProtectCase({ c, onDone }: { c: any; onDone: () => void }) {
  const { t } = useI18n();
  const [error, setError] = useState<ApiError | null>(null);
  return (
    <p>
      <button
        type="button"
        class="secondary"
        onClick={async () => {
          setError(null);
          try {
            await patch(`/cases/${c.id}`, { version: c.version, cas_Protected: !c.cas_Protected });
            onDone();
          } catch (e) {
            setError(e as ApiError);
          }
        }}
      >
        {c.cas_Protected ? t('unprotect_case') : t('protect_case')}
      </button>
      <ErrorBox error={error} />
    </p>
  );
}

function WithdrawConsent({ c, onDone }: { c: any; onDone: () => void }) {
  const { t } = useI18n();
  const [error, setError] = useState<ApiError | null>(null);
  return (
    <>
      {' '}
      <button
        type="button"
        class="link"
        onClick={async () => {
          if (!confirm(t('withdraw_confirm'))) return;
          setError(null);
          try {
            await patch(`/consents/${c.id}`, { version: c.version, cns_Status: 'Withdrawn', cns_WithdrawnOn: new Date().toISOString().slice(0, 10) });
            onDone();
          } catch (e) {
            setError(e as ApiError);
          }
        }}
      >
        {t('withdraw')}
      </button>
      <ErrorBox error={error} />
    </>
  );
}

// Hands the case to another agency (it accepts or declines in its inbox).
function TransferForm({ caseId, ownAgency, onDone }: { caseId: string; ownAgency: string; onDone: () => void }) {
  const { t, lang } = useI18n();
  const orgs = useAsync(agencies, []);
  const [v, setV] = useState({ to_agency_id: '', trf_Reason: '' });
  const options = (orgs.data ?? [])
    .filter((a) => a.id !== ownAgency)
    .map((a) => ({ value: a.id, label: agencyName(orgs.data, a.id, lang) }))
    .sort((a, b) => a.label.localeCompare(b.label, lang));
  return (
    <SubForm
      label={t('transfer')}
      titleId="transfer-title"
      submitLabel={t('send_referral')}
      sentMessage={t('referral_sent')}
      shown={['to_agency_id', 'trf_Reason']}
      submit={() => post('/transfers', { case_id: caseId, ...v })}
      onDone={onDone}
    >
      {(errors) => (
        <>
          <Select label={t('f_to_agency')} name="to_agency_id" value={v.to_agency_id} options={options} onChange={(x) => setV({ ...v, to_agency_id: x })} errors={errors} required />
          <TextInput label={t('reason')} name="trf_Reason" value={v.trf_Reason} onInput={(x) => setV({ ...v, trf_Reason: x })} errors={errors} multiline required />
        </>
      )}
    </SubForm>
  );
}
