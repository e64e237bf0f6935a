// Issue 7: taskforces and their plan of action (objectives, an activity
// board coloured by status, indicators with their progress towards the
// target, meetings), and directives (received and issued, each recipient's
// answer). Loaded on demand: the first load stays within its budget.
import { useState } from 'preact/hooks';
import { get, listAll, patch, post, type Rec } from '../api';
import { agencies, agencyName } from '../data';
import { useI18n } from '../i18n';
import { Link } from '../router';
import { useSession } from '../session';
import { tf } from '../strings/taskforce';
import { Code, DateText, ErrorBox, Loading, StatusBadge, useAsync } from '../ui';

export function TaskforceList() {
  const { lang } = useI18n();
  const s = tf(lang);
  const list = useAsync(() => listAll('/taskforces'), []);
  return (
    <section>
      <h1 tabIndex={-1}>{s('taskforces_title')}</h1>
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
  const { can } = useSession();
  const plan = useAsync(() => get(`/taskforces/${id}/plan`), [id]);
  const names = useAsync(() => agencies(), []);
  const [objective, setObjective] = useState('');
  if (plan.loading && !plan.data) return <Loading />;
  if (!plan.data) return <ErrorBox error={plan.error} onRetry={plan.reload} />;
  const p = plan.data;
  const t = p.taskforce;
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
              </li>
            ))}
          </ul>
          {o.indicators.length > 0 && (
            <>
              <h4>{s('indicators')}</h4>
              <table class="list">
                <thead>
                  <tr>
                    <th>{s('indicators')}</th>
                    <th>{s('baseline')}</th>
                    <th>{s('target')}</th>
                    <th>{s('current')}</th>
                    <th></th>
                  </tr>
                </thead>
                <tbody>
                  {o.indicators.map((i: any) => (
                    <tr key={i.id}>
                      <td>
                        {i.ind_Name} {i.ind_Unit && <span class="muted">({i.ind_Unit})</span>}
                        {i.computed && (
                          <div class="muted" title={i.definition}>
                            {s('computed')}
                          </div>
                        )}
                      </td>
                      <td>{i.ind_Baseline ?? ''}</td>
                      <td>{i.ind_Target}</td>
                      <td>{i.current_value === null ? (i.suppressed ? s('suppressed') : '—') : Math.round(i.current_value * 10) / 10}</td>
                      <td>
                        <Progress value={i.progress} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </article>
      ))}
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
      <h2>{s('members')}</h2>
      <ul>
        {p.members.map((m: any) => (
          <li key={m.id}>
            {agency(m.agency) || agencyName(names.data, m.agency_id, lang)} {m.tfm_Function && <span class="muted">— {m.tfm_Function}</span>}
          </li>
        ))}
      </ul>
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
