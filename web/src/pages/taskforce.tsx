// Issue 7: taskforces and their plan of action (objectives, an activity
// board coloured by status, indicators with their progress towards the
// target, meetings), and directives (received and issued, each recipient's
// answer). Loaded on demand: the first load stays within its budget.
import { useState } from 'preact/hooks';
import { ApiError, get, listAll, patch, post, type FieldError, type Rec } from '../api';
import { agencies, agencyName } from '../data';
import { useI18n } from '../i18n';
import { Link } from '../router';
import { useSession } from '../session';
import { fieldLabel, resourceSchemas, SchemaForm, type CustomInput, type Schema } from '../schema';
import { tf } from '../strings/taskforce';
import { Code, DataTable, DateText, ErrorBox, Field, Loading, StatusBadge, SubForm, TextInput, useAsync } from '../ui';

// ---- forms ---------------------------------------------------------------

// The create schemas of the plan's resources (labels come with them).
const PLAN_RESOURCES = ['taskforces', 'taskforce-members', 'taskforce-meetings', 'plan-objectives', 'plan-activities', 'plan-indicators', 'directives'] as const;
type PlanResource = (typeof PLAN_RESOURCES)[number];
function usePlanSchemas() {
  return useAsync(async () => {
    const out: Partial<Record<PlanResource, Schema>> = {};
    await Promise.all(PLAN_RESOURCES.map(async (r) => (out[r] = (await resourceSchemas(r))?.input)));
    return out;
  }, []);
}

// Agencies as checkboxes: a list of ids, or (`objectKey`) a list of objects
// holding the id under that key (a meeting's attendees).
function AgencyChecks(props: { name: string; label: string; value: any[] | undefined; onChange: (v: any[]) => void; errors: FieldError[]; objectKey?: string }) {
  const { lang } = useI18n();
  const list = useAsync(() => agencies(), []);
  const ids: string[] = (props.value ?? []).map((x) => (props.objectKey ? x[props.objectKey] : x));
  const set = (next: string[]) => props.onChange(props.objectKey ? next.map((id) => ({ [props.objectKey!]: id })) : next);
  return (
    <Field label={props.label} name={props.name} errors={props.errors}>
      {(id, described) => (
        <div class="checks" id={id} role="group" aria-describedby={described}>
          {list.data?.map((a) => (
            <label key={a.id} class="check">
              <input
                type="checkbox"
                name={props.name}
                value={a.id}
                checked={ids.includes(a.id)}
                onChange={(e) => set((e.target as HTMLInputElement).checked ? [...ids, a.id] : ids.filter((x) => x !== a.id))}
              />{' '}
              {agencyName(list.data, a.id, lang)}
            </label>
          ))}
        </div>
      )}
    </Field>
  );
}

const agencyChecks =
  (name: string, objectKey?: string): CustomInput =>
  (value, onChange, errors) => <AgencyChecksLabelled name={name} value={value} onChange={onChange} errors={errors} objectKey={objectKey} />;
function AgencyChecksLabelled(props: { name: string; value: any[] | undefined; onChange: (v: any[]) => void; errors: FieldError[]; objectKey?: string }) {
  const { lang } = useI18n();
  return <AgencyChecks {...props} label={fieldLabel(props.name, lang)} />;
}

// Decisions: one a line (a decision may contain commas).
function Lines(props: { name: string; value: string[] | undefined; onChange: (v: string[] | undefined) => void; errors: FieldError[] }) {
  const { lang } = useI18n();
  const s = tf(lang);
  const [text, setText] = useState((props.value ?? []).join('\n'));
  return (
    <TextInput
      label={fieldLabel(props.name, lang)}
      hint={s('one_a_line')}
      name={props.name}
      multiline
      value={text}
      onInput={(x) => {
        setText(x);
        const lines = x.split('\n').map((l) => l.trim()).filter(Boolean);
        props.onChange(lines.length ? lines : undefined);
      }}
      errors={props.errors}
    />
  );
}

// A meeting's follow-up actions: rows of action, responsible agency, due date.
function FollowUps(props: { value: any[] | undefined; onChange: (v: any[]) => void; errors: FieldError[] }) {
  const { lang, t } = useI18n();
  const s = tf(lang);
  const names = useAsync(() => agencies(), []);
  const rows: any[] = props.value ?? [];
  const set = (i: number, k: string, x: string) => props.onChange(rows.map((r, j) => (j === i ? { ...r, [k]: x || undefined } : r)));
  return (
    <fieldset>
      <legend>{fieldLabel('mtg_FollowUps', lang)}</legend>
      {rows.map((r, i) => (
        <div key={i} class="card">
          <TextInput label={`${fieldLabel('fup_Action', lang)} ${i + 1}`} name={`mtg_FollowUps[${i}].fup_Action`} value={r.fup_Action ?? ''} onInput={(x) => set(i, 'fup_Action', x)} errors={props.errors} required />
          <Field label={fieldLabel('responsible_agency_id', lang)} name={`mtg_FollowUps[${i}].agency_id`} errors={props.errors}>
            {(id, described) => (
              <select id={id} aria-describedby={described} value={r.agency_id ?? ''} onChange={(e) => set(i, 'agency_id', (e.target as HTMLSelectElement).value)}>
                <option value="">{t('choose')}</option>
                {names.data?.map((a) => (
                  <option key={a.id} value={a.id} selected={a.id === r.agency_id}>
                    {agencyName(names.data, a.id, lang)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <TextInput label={fieldLabel('fup_Due', lang)} name={`mtg_FollowUps[${i}].fup_Due`} type="date" value={r.fup_Due ?? ''} onInput={(x) => set(i, 'fup_Due', x)} errors={props.errors} />
          <button type="button" class="link" onClick={() => props.onChange(rows.filter((_, j) => j !== i))}>
            {s('remove')}
          </button>
        </div>
      ))}
      <p>
        <button type="button" class="secondary" onClick={() => props.onChange([...rows, { fup_Action: '' }])}>
          {s('add_follow_up')}
        </button>
      </p>
    </fieldset>
  );
}

// A dated progress update appended to an activity (the record's current
// version is read first: another member may have added one meanwhile).
function ProgressForm({ activity, onDone }: { activity: Rec; onDone: () => void }) {
  const { lang } = useI18n();
  const s = tf(lang);
  const today = new Date().toISOString().slice(0, 10);
  const [v, setV] = useState<{ prg_Date: string; prg_Note: string; prg_Percent: string }>({ prg_Date: today, prg_Note: '', prg_Percent: '' });
  const i = (activity.act_Progress ?? []).length;
  const path = (k: string) => `act_Progress[${i}].${k}`;
  return (
    <SubForm
      label={s('add_progress')}
      titleId={`prg-${activity.id}`}
      level={3}
      shown={['act_Progress', 'act_Status']}
      submit={async () => {
        const current = await get<Rec>(`/plan-activities/${activity.id}`);
        const entry: Record<string, unknown> = { prg_Date: v.prg_Date, prg_Note: v.prg_Note.trim() };
        if (v.prg_Percent !== '') entry.prg_Percent = Number(v.prg_Percent);
        return patch(`/plan-activities/${activity.id}`, { act_Progress: [...(current.act_Progress ?? []), entry], version: current.version });
      }}
      onDone={() => {
        setV({ prg_Date: today, prg_Note: '', prg_Percent: '' });
        onDone();
      }}
    >
      {(errors) => (
        <>
          <TextInput label={fieldLabel('prg_Date', lang)} name={path('prg_Date')} type="date" value={v.prg_Date} onInput={(x) => setV({ ...v, prg_Date: x })} errors={errors} required />
          <TextInput label={fieldLabel('prg_Note', lang)} name={path('prg_Note')} multiline value={v.prg_Note} onInput={(x) => setV({ ...v, prg_Note: x })} errors={errors} required />
          <TextInput label={fieldLabel('prg_Percent', lang)} name={path('prg_Percent')} type="number" value={v.prg_Percent} onInput={(x) => setV({ ...v, prg_Percent: x })} errors={errors} />
        </>
      )}
    </SubForm>
  );
}

export function NewTaskforce({ onDone }: { onDone: () => void }) {
  const { lang } = useI18n();
  const s = tf(lang);
  const { session, can } = useSession();
  const schemas = usePlanSchemas();
  const input = schemas.data?.taskforces;
  if (!can('taskforces', 'create') || !input || !session.user.agency_id) return null;
  return (
    <SchemaForm
      resource="taskforces"
      input={input}
      label={s('new_taskforce')}
      // The chair is the creator's agency (the server requires it).
      fixed={{ chair_agency_id: session.user.agency_id }}
      fields={['tfc_Code', 'tfc_NameLo', 'tfc_NameEn', 'tfc_Mandate', 'location_id', 'tfc_PlanStart', 'tfc_PlanEnd']}
      onDone={onDone}
    />
  );
}

export function TaskforceList() {
  const { lang } = useI18n();
  const s = tf(lang);
  const list = useAsync(() => listAll('/taskforces'), []);
  return (
    <section>
      <h1 tabIndex={-1}>{s('taskforces_title')}</h1>
      <NewTaskforce onDone={list.reload} />
      {list.loading ? <Loading /> : <ErrorBox error={list.error} onRetry={list.reload} />}
      {list.data && list.data.length === 0 && <p class="muted">{s('no_taskforces')}</p>}
      <ul class="cards">
        {list.data?.map((t) => (
          <li key={t.id} class="card">
            <Link href={`/taskforces/${t.id}`}>{lang === 'lo' ? t.tfc_NameLo : t.tfc_NameEn}</Link>{' '}
            <span class="muted">{t.tfc_Code}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Progress({ value }: { value: number | null }) {
  if (value === null || value === undefined) return null;
  const pct = Math.round(value * 100);
  return (
    <span class="tf-progress" role="img" aria-label={pct + '%'}>
      <span style={{ width: pct + '%' }} />
      <b>{pct}%</b>
    </span>
  );
}

export function PlanView({ id }: { id: string }) {
  const { lang } = useI18n();
  const s = tf(lang);
  const { can, session } = useSession();
  const plan = useAsync(() => get(`/taskforces/${id}/plan`), [id]);
  const names = useAsync(() => agencies(), []);
  const schemas = usePlanSchemas();
  const [objective, setObjective] = useState('');
  if (plan.loading && !plan.data) return <Loading />;
  if (!plan.data) return <ErrorBox error={plan.error} onRetry={plan.reload} />;
  const p = plan.data;
  const t = p.taskforce;
  // Who may edit (the server checks it again): the chair manages members,
  // members edit meetings and the plan.
  const me = session.user;
  const chair = (!!me.agency_id && t.chair_agency_id === me.agency_id) || (!!me.id && t.tfc_ChairUserId === me.id);
  const member = chair || p.members.some((m: any) => (m.tfm_UserId ? m.tfm_UserId === me.id : m.agency_id === me.agency_id));
  const sc = schemas.data ?? {};
  const fixed = { taskforce_id: id };
  const may = (resource: PlanResource, action = 'create') => (resource === 'taskforce-members' ? chair : member) && can(resource, action) && !!sc[resource];
  const agency = (a: any) => (a ? (lang === 'lo' ? a.name_lo : a.name_en) : '');
  const makeActivity = (meeting: Rec, index: number) =>
    post(`/taskforce-meetings/${meeting.id}/follow-ups/${index}/activity`, { objective_id: objective }).then(
      plan.reload,
      plan.reload,
    );
  return (
    <section>
      <h1 tabIndex={-1}>
        {s('plan_of_action')}: {lang === 'lo' ? t.tfc_NameLo : t.tfc_NameEn}
      </h1>
      <p class="muted">
        {s('chair')}: {agency(t.chair_agency)} · {s('period')}: <DateText value={t.tfc_PlanStart} /> –{' '}
        <DateText value={t.tfc_PlanEnd} />
      </p>
      <p>
        <a href={`/api/v1/taskforces/${id}/plan.xlsx`}>{s('export_xlsx')}</a> ·{' '}
        <a href={`/api/v1/taskforces/${id}/plan/print`} target="_blank" rel="noopener">
          {s('print_page')}
        </a>
      </p>
      <ErrorBox error={plan.error} onRetry={plan.reload} />
      <h2>{s('objectives')}</h2>
      {p.objectives.map((o: any) => (
        <article class="card" key={o.id} aria-labelledby={'o-' + o.id}>
          <h3 id={'o-' + o.id}>
            {o.obj_Code}. {o.obj_Title}
          </h3>
          <p>
            {(o.obj_Problems ?? []).map((c: string) => (
              <span class="badge" key={c}>
                <Code list="taskforce_problem" code={c} />
              </span>
            ))}
          </p>
          <h4>{s('activities')}</h4>
          <ul class="tf-board">
            {o.activities.map((a: any) => (
              <li key={a.id} class={'tf-act tf-' + a.effective_status}>
                <strong>{a.act_Title}</strong>
                <div>
                  <StatusBadge list="activity_status" code={a.effective_status} />{' '}
                  <span class="muted">
                    <DateText value={a.act_StartDate} /> – <DateText value={a.act_EndDate} />
                  </span>
                </div>
                <div class="muted">
                  {s('responsible')}: {agency(a.responsible_agency)}
                  {a.partner_agencies.length > 0 && (
                    <>
                      {' '}
                      · {s('partners')}: {a.partner_agencies.map(agency).join(', ')}
                    </>
                  )}
                </div>
                {(a.act_Progress ?? []).length > 0 && (
                  <details>
                    <summary>{s('progress_updates')}</summary>
                    <ul class="plain">
                      {a.act_Progress.map((g: any, i: number) => (
                        <li key={i}>
                          <DateText value={g.prg_Date} />: {g.prg_Note}
                        </li>
                      ))}
                    </ul>
                  </details>
                )}
                {may('plan-activities', 'update') && <ProgressForm activity={a} onDone={plan.reload} />}
              </li>
            ))}
          </ul>
          {o.indicators.length > 0 && (
            <>
              <h4>{s('indicators')}</h4>
              <DataTable
                caption={`${s('indicators')} ${o.obj_Code}`}
                rows={o.indicators}
                rowKey={(i: any) => i.id}
                columns={[
                  {
                    header: s('indicators'),
                    cell: (i: any) => (
                      <>
                        {i.ind_Name} {i.ind_Unit && <span class="muted">({i.ind_Unit})</span>}
                        {i.computed && (
                          <div class="muted" title={i.definition}>
                            {s('computed')}
                          </div>
                        )}
                      </>
                    ),
                  },
                  { header: s('baseline'), cell: (i: any) => i.ind_Baseline ?? '' },
                  { header: s('target'), cell: (i: any) => i.ind_Target },
                  {
                    header: s('current'),
                    cell: (i: any) => (i.current_value === null ? (i.suppressed ? s('suppressed') : '—') : Math.round(i.current_value * 10) / 10),
                  },
                  { header: s('progress_updates'), cell: (i: any) => <Progress value={i.progress} />, sortKey: (i: any) => i.progress ?? -1 },
                ]}
              />
            </>
          )}
          {may('plan-activities') && (
            <SchemaForm
              resource="plan-activities"
              input={sc['plan-activities']!}
              label={`${s('add_activity')} (${o.obj_Code})`}
              titleId={`new-act-${o.id}`}
              level={3}
              fixed={{ ...fixed, objective_id: o.id }}
              initial={{ act_Status: 'NotStarted' }}
              fields={['act_Title', 'act_Description', 'responsible_agency_id', 'act_PartnerAgencyIds', 'act_StartDate', 'act_EndDate', 'act_Status', 'act_BudgetAmount', 'act_BudgetCurrency']}
              custom={{ act_PartnerAgencyIds: agencyChecks('act_PartnerAgencyIds') }}
              onDone={plan.reload}
            />
          )}
          {may('plan-indicators') && (
            <SchemaForm
              resource="plan-indicators"
              input={sc['plan-indicators']!}
              label={`${s('add_indicator')} (${o.obj_Code})`}
              titleId={`new-ind-${o.id}`}
              level={3}
              fixed={{ ...fixed, objective_id: o.id }}
              initial={{ ind_Source: 'Manual' }}
              fields={['ind_Name', 'ind_Unit', 'ind_Baseline', 'ind_Target', 'ind_Source', 'ind_Query', 'ind_Location', 'ind_PeriodFrom', 'ind_PeriodTo', 'ind_CurrentValue', 'ind_CurrentAsOf']}
              // A computed indicator names its query and place; a manual one its value.
              visible={(k, v) => (v.ind_Source === 'Query' ? !['ind_CurrentValue', 'ind_CurrentAsOf'].includes(k) : !['ind_Query', 'ind_Location', 'ind_PeriodFrom', 'ind_PeriodTo'].includes(k))}
              onDone={plan.reload}
            />
          )}
        </article>
      ))}
      {may('plan-objectives') && (
        <SchemaForm
          resource="plan-objectives"
          input={sc['plan-objectives']!}
          label={s('add_objective')}
          fixed={fixed}
          fields={['obj_Code', 'obj_Title', 'obj_Description', 'obj_Problems']}
          onDone={plan.reload}
        />
      )}
      <h2>{s('meetings')}</h2>
      {p.meetings.map((m: any) => (
        <article class="card" key={m.id}>
          <h3>
            <DateText value={m.mtg_Date} /> · {m.mtg_Place}
          </h3>
          {(m.mtg_Decisions ?? []).length > 0 && (
            <>
              <h4>{s('decisions')}</h4>
              <ul>
                {m.mtg_Decisions.map((d: string, i: number) => (
                  <li key={i}>{d}</li>
                ))}
              </ul>
            </>
          )}
          {(m.mtg_FollowUps ?? []).length > 0 && (
            <>
              <h4>{s('follow_ups')}</h4>
              <ul>
                {m.mtg_FollowUps.map((f: any, i: number) => (
                  <li key={i}>
                    {f.fup_Action} {f.fup_Due && <span class="muted">({s('due')} <DateText value={f.fup_Due} />)</span>}{' '}
                    {f.activity_id ? (
                      <span class="badge">{s('linked_activity')}</span>
                    ) : (
                      can('plan-activities', 'create') && (
                        <span>
                          <select
                            aria-label={s('objective')}
                            value={objective}
                            onChange={(e) => setObjective((e.target as HTMLSelectElement).value)}
                          >
                            <option value="">{s('objective')}…</option>
                            {p.objectives.map((o: any) => (
                              <option key={o.id} value={o.id}>
                                {o.obj_Code}
                              </option>
                            ))}
                          </select>{' '}
                          <button type="button" class="secondary" disabled={!objective} onClick={() => makeActivity(m, i)}>
                            {s('make_activity')}
                          </button>
                        </span>
                      )
                    )}
                  </li>
                ))}
              </ul>
            </>
          )}
          {m.mtg_Minutes && <p class="muted">{m.mtg_Minutes}</p>}
        </article>
      ))}
      {may('taskforce-meetings') && (
        <SchemaForm
          resource="taskforce-meetings"
          input={sc['taskforce-meetings']!}
          label={s('add_meeting')}
          fixed={fixed}
          fields={['mtg_Date', 'mtg_Place', 'mtg_Attendees', 'mtg_Decisions', 'mtg_Minutes', 'mtg_FollowUps']}
          custom={{
            mtg_Attendees: agencyChecks('mtg_Attendees', 'agency_id'),
            mtg_Decisions: (value, onChange, errors) => <Lines name="mtg_Decisions" value={value} onChange={onChange} errors={errors} />,
            mtg_FollowUps: (value, onChange, errors) => <FollowUps value={value} onChange={onChange} errors={errors} />,
          }}
          onDone={plan.reload}
        />
      )}
      <h2>{s('members')}</h2>
      <ul>
        {p.members.map((m: any) => (
          <li key={m.id}>
            {agency(m.agency) || agencyName(names.data, m.agency_id, lang)} {m.tfm_Function && <span class="muted">— {m.tfm_Function}</span>}
          </li>
        ))}
      </ul>
      {may('taskforce-members') && (
        <SchemaForm resource="taskforce-members" input={sc['taskforce-members']!} label={s('add_member')} fixed={fixed} fields={['agency_id', 'tfm_Function']} onDone={plan.reload} />
      )}
    </section>
  );
}

function Answer({ r, onDone }: { r: Rec; onDone: () => void }) {
  const { lang } = useI18n();
  const s = tf(lang);
  const [note, setNote] = useState('');
  const [error, setError] = useState<any>(null);
  const send = (change: Record<string, unknown>) =>
    patch(`/directive-recipients/${r.id}`, { ...change, version: r.version }).then(onDone, setError);
  const today = new Date().toISOString().slice(0, 10);
  return (
    <div>
      {r.drc_Status === 'Sent' && (
        <button type="button" onClick={() => send({ drc_Status: 'Acknowledged' })}>
          {s('acknowledge')}
        </button>
      )}{' '}
      {(r.drc_Status === 'Sent' || r.drc_Status === 'Acknowledged') && (
        <button type="button" class="secondary" onClick={() => send({ drc_Status: 'InProgress' })}>
          {s('start_work')}
        </button>
      )}{' '}
      {r.drc_Status !== 'Done' && (
        <button type="button" class="secondary" onClick={() => send({ drc_Status: 'Done' })}>
          {s('mark_done')}
        </button>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (note.trim())
            send({ drc_Progress: [...(r.drc_Progress ?? []), { prg_Date: today, prg_Note: note.trim() }] }).then(() =>
              setNote(''),
            );
        }}
      >
        <label>
          {s('add_note')}
          <textarea value={note} onInput={(e) => setNote((e.target as HTMLTextAreaElement).value)} rows={2} />
        </label>
        <button type="submit" class="secondary">
          {s('save')}
        </button>
      </form>
      <ErrorBox error={error} />
    </div>
  );
}

export function Directives() {
  const { lang } = useI18n();
  const s = tf(lang);
  const [box, setBox] = useState<'inbox' | 'outbox'>('inbox');
  const data = useAsync(() => get(`/directives/${box}`), [box]);
  const names = useAsync(() => agencies(), []);
  return (
    <section>
      <h1 tabIndex={-1}>{s('directives_title')}</h1>
      <IssueDirective onDone={() => (box === 'outbox' ? data.reload() : setBox('outbox'))} />
      <div role="tablist">
        {(['inbox', 'outbox'] as const).map((b) => (
          <button key={b} type="button" role="tab" aria-selected={box === b} class={box === b ? '' : 'secondary'} onClick={() => setBox(b)}>
            {s(b)}
          </button>
        ))}
      </div>
      {data.loading ? <Loading /> : <ErrorBox error={data.error} onRetry={data.reload} />}
      {data.data && data.data.items.length === 0 && <p class="muted">{s('no_directives')}</p>}
      {data.data?.items.map((x: any) => (
        <article class="card" key={x.directive.id}>
          <h2>
            {x.directive.dir_Subject} {x.overdue && <span class="badge badge-overdue">{s('overdue')}</span>}
          </h2>
          <p class="muted">
            {agencyName(names.data, x.directive.issuing_agency_id, lang)} · {s('due')} <DateText value={x.directive.dir_DueDate} /> ·{' '}
            <Code list="directive_priority" code={x.directive.dir_Priority} />
          </p>
          <p>{x.directive.dir_Text}</p>
          <table class="list">
            <thead>
              <tr>
                <th>{s('recipients')}</th>
                <th>{s('status')}</th>
                <th>{s('progress_updates')}</th>
              </tr>
            </thead>
            <tbody>
              {x.recipients.map((r: any) => (
                <tr key={r.id}>
                  <td>{agencyName(names.data, r.agency_id, lang)}</td>
                  <td>
                    <StatusBadge list="directive_recipient_status" code={r.drc_Status} />{' '}
                    {r.overdue && <span class="badge badge-overdue">{s('overdue')}</span>}
                  </td>
                  <td>
                    <ul class="plain">
                      {(r.drc_Progress ?? []).map((g: any, i: number) => (
                        <li key={i}>
                          <DateText value={g.prg_Date} />: {g.prg_Note}
                        </li>
                      ))}
                    </ul>
                    {box === 'inbox' && <Answer r={r} onDone={data.reload} />}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </article>
      ))}
    </section>
  );
}

// A directive from the caller's agency (the server sets the issuer) to the
// agencies ticked. The directive and each recipient are separate records:
// a retry after a failure sends only what was not saved yet.
function IssueDirective({ onDone }: { onDone: () => void }) {
  const { lang } = useI18n();
  const s = tf(lang);
  const { can } = useSession();
  const schema = useAsync(() => resourceSchemas('directives'), []);
  const [saved, setSaved] = useState<{ id: string | null; agencies: string[] }>({ id: null, agencies: [] });
  const input = schema.data?.input;
  if (!input || !can('directives', 'create') || !can('directive-recipients', 'create')) return null;
  return (
    <SchemaForm
      resource="directives"
      input={input}
      label={s('issue_directive')}
      initial={{ dir_Priority: 'Normal' }}
      fields={['dir_Subject', 'dir_Text', 'dir_Reference', 'dir_DueDate', 'dir_Priority', 'taskforce_id', 'recipients']}
      custom={{
        recipients: (value, onChange, errors) => <AgencyChecks name="recipients" label={s('recipients')} value={value} onChange={onChange} errors={errors} />,
      }}
      submit={async (body) => {
        const { recipients = [], ...directive } = body as { recipients?: string[] };
        if (!recipients.length) throw new ApiError(400, 'invalid_argument', 'no recipient', [{ path: 'recipients', rule: 'required', message: s('recipients') }]);
        let id = saved.id;
        if (!id) {
          id = (await post<Rec>('/directives', directive)).id;
          setSaved({ id, agencies: [] });
        }
        const done = [...saved.agencies];
        for (const agency_id of recipients.filter((a) => !done.includes(a))) {
          await post('/directive-recipients', { directive_id: id, agency_id });
          done.push(agency_id);
          setSaved({ id, agencies: [...done] });
        }
        setSaved({ id: null, agencies: [] });
      }}
      onCancel={() => setSaved({ id: null, agencies: [] })}
      onDone={onDone}
    />
  );
}

// The dashboard's card (loaded with the dashboard's lazy part).
export function OverdueCard() {
  const { lang } = useI18n();
  const s = tf(lang);
  const data = useAsync(() => get('/dashboard/overdue'), []);
  if (!data.data) return null;
  const d = data.data;
  const directives = [...d.overdue_directives_received, ...d.overdue_directives_issued];
  return (
    <article class="card" aria-labelledby="d-tf">
      <h2 id="d-tf">
        {s('overdue_activities')} / {s('overdue_directives')}
      </h2>
      <p class="figure">
        <Link href="/taskforces">{String(d.overdue_activities.length)}</Link> ·{' '}
        <Link href="/directives">{String(directives.length)}</Link>
        {d.overdue_activities.length + directives.length > 0 && <span class="badge badge-overdue">{s('overdue')}</span>}
      </p>
      <ul class="plain">
        {d.overdue_activities.slice(0, 5).map((a: any) => (
          <li key={a.id}>
            <Link href={`/taskforces/${a.taskforce_id}`}>{a.act_Title}</Link> <span class="badge badge-late">{s('late')}</span>
          </li>
        ))}
        {directives.slice(0, 5).map((x: any) => (
          <li key={x.directive.id}>
            <Link href="/directives">{x.directive.dir_Subject}</Link>{' '}
            <span class="muted">
              {s('due')} <DateText value={x.directive.dir_DueDate} />
            </span>
          </li>
        ))}
      </ul>
    </article>
  );
}
