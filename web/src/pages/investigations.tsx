import { useState } from 'preact/hooks';
import { ApiError, get, listAll, post } from '../api';
import { useI18n, type Key } from '../i18n';
import { Link, navigate } from '../router';
import { useSession } from '../session';
import { Code, CodeChecks, DataTable, DateText, ErrorBox, FormErrors, Loading, Select, StatusBadge, SubForm, TextInput, useAsync } from '../ui';

export function InvestigationList() {
  const { t } = useI18n();
  const { can } = useSession();
  const list = useAsync(() => listAll('/investigations'), []);
  return (
    <section>
      <h1 tabIndex={-1}>{t('nav_investigations')}</h1>
      {list.loading && <Loading />}
      <ErrorBox error={list.error} onRetry={list.reload} />
      {list.data?.length === 0 && <p class="muted">{t('none_found')}</p>}
      {list.data && list.data.length > 0 && (
        <DataTable
          caption={t('nav_investigations')}
          rows={list.data}
          rowKey={(i: any) => i.id}
          columns={[
            { header: t('f_reference'), cell: (i: any) => <Link href={`/investigations/${i.id}`}>{i.inv_Reference || t('investigation')}</Link>, sortKey: (i: any) => i.inv_Reference },
            { header: t('f_status'), cell: (i: any) => <StatusBadge list="investigation_status" code={i.inv_Status} />, sortKey: (i: any) => i.inv_Status },
            { header: t('opened_on'), cell: (i: any) => <DateText value={i.inv_OpenedOn} />, sortKey: (i: any) => i.inv_OpenedOn },
          ]}
        />
      )}
      {can('investigations', 'create') && <NewInvestigation />}
    </section>
  );
}

function NewInvestigation() {
  const { t } = useI18n();
  const [v, setV] = useState<{ inv_Reference: string; inv_Offences: string[]; inv_Summary: string }>({ inv_Reference: '', inv_Offences: [], inv_Summary: '' });
  const submit = async () => {
    const body: Record<string, any> = { inv_Reference: v.inv_Reference, inv_Offences: v.inv_Offences };
    if (v.inv_Summary) body.inv_Summary = v.inv_Summary;
    const r = await post('/investigations', body);
    navigate(`/investigations/${r.id}`);
  };
  return (
    <SubForm label={t('new_investigation')} titleId="inv-title" buttonClass="" shown={['inv_Reference', 'inv_Offences', 'inv_Summary']} submit={submit}>
      {(errors) => (
        <>
          <TextInput label={t('f_reference')} name="inv_Reference" value={v.inv_Reference} onInput={(x) => setV({ ...v, inv_Reference: x })} errors={errors} required />
          <CodeChecks label={t('f_offences')} name="inv_Offences" list="offence" value={v.inv_Offences} onChange={(x) => setV({ ...v, inv_Offences: x })} errors={errors} required />
          <TextInput label={t('f_summary')} name="inv_Summary" value={v.inv_Summary} onInput={(x) => setV({ ...v, inv_Summary: x })} errors={errors} multiline />
        </>
      )}
    </SubForm>
  );
}

const INV_STEPS: Record<string, { action: string; label: Key }[]> = {
  Open: [
    { action: 'start', label: 'inv_start' },
    { action: 'close_without_action', label: 'inv_close' },
  ],
  Investigating: [
    { action: 'send_to_prosecution', label: 'inv_prosecution' },
    { action: 'resolve', label: 'inv_resolve' },
    { action: 'close_without_action', label: 'inv_close' },
  ],
  SentToProsecution: [{ action: 'resolve', label: 'inv_resolve' }],
};

export function InvestigationView({ id }: { id: string }) {
  const { t } = useI18n();
  const { can } = useSession();
  const inv = useAsync(() => get('/investigations/' + id), [id]);
  const victims = useAsync(() => listAll('/investigation-victims', { investigation_id: id }).catch(() => []), [id]);
  const [reason, setReason] = useState('');
  const [closing, setClosing] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  if (inv.loading && !inv.data) return <Loading />;
  if (inv.error && !inv.data)
    return (
      <section>
        <h1 tabIndex={-1}>{t('investigation')}</h1>
        <ErrorBox error={inv.error} onRetry={inv.reload} />
      </section>
    );
  const i = inv.data;
  const step = async (action: string, body: Record<string, any> = {}) => {
    setError(null);
    try {
      await post(`/investigations/${id}/transitions/${action}`, { version: i.version, ...body });
      setClosing(false);
      inv.reload();
    } catch (e) {
      setError(e as ApiError);
    }
  };
  return (
    <section>
      <h1 tabIndex={-1}>
        {t('investigation')} {i.inv_Reference}
      </h1>
      <dl class="facts">
        <dt>{t('f_status')}</dt>
        <dd>
          <StatusBadge list="investigation_status" code={i.inv_Status} />
        </dd>
        <dt>{t('opened_on')}</dt>
        <dd>
          <DateText value={i.inv_OpenedOn} />
        </dd>
        <dt>{t('f_offences')}</dt>
        <dd>
          {(i.inv_Offences ?? []).map((o: string) => (
            <span key={o} class="chip">
              <Code list="offence" code={o} />
            </span>
          ))}
        </dd>
      </dl>
      {i.inv_Summary && <p class="reason">{i.inv_Summary}</p>}
      <div class="actions">
        {(INV_STEPS[i.inv_Status] ?? [])
          .filter((s) => can('investigations', s.action))
          .map((s) => (
            <button key={s.action} type="button" class={s.action === 'close_without_action' ? 'secondary' : ''} onClick={() => (s.action === 'close_without_action' ? setClosing(true) : step(s.action))}>
              {t(s.label)}
            </button>
          ))}
      </div>
      {closing && (
        <form
          noValidate
          class="card"
          onSubmit={(e) => {
            e.preventDefault();
            step('close_without_action', { reason });
          }}
        >
          <TextInput label={t('reason')} name="reason" value={reason} onInput={setReason} errors={error?.fields} multiline required />
          <button type="submit">{t('inv_close')}</button>
        </form>
      )}
      <FormErrors error={error} shown={closing ? ['reason'] : []} />
      <h2>{t('suspects')}</h2>
      {(i.inv_Suspects ?? []).length === 0 && <p class="muted">{t('none_found')}</p>}
      <ul class="plain">
        {(i.inv_Suspects ?? []).map((s: any, n: number) => (
          <li key={n}>
            <bdi dir="auto">{s.sus_Name}</bdi> {s.sus_NameLatin && <span lang="en">({s.sus_NameLatin})</span>} —{' '}
            <Code list="suspect_kind" code={s.sus_Kind} />{' '}
            {(s.sus_Roles ?? []).map((r: string) => (
              <span key={r} class="chip">
                <Code list="perpetrator_role" code={r} />
              </span>
            ))}
          </li>
        ))}
      </ul>
      <h2>{t('victims')}</h2>
      <ul class="plain">
        {victims.data?.map((v: any) => (
          <li key={v.id}>
            <Link href={`/cases/${v.case_id}`}>{t('open_case')}</Link> <span class="muted">{v.ivv_Notes}</span>
          </li>
        ))}
      </ul>
      {can('investigation-victims', 'create') && <LinkVictim investigationId={id} onDone={victims.reload} />}
    </section>
  );
}

function LinkVictim({ investigationId, onDone }: { investigationId: string; onDone: () => void }) {
  const { t } = useI18n();
  const cases = useAsync(async () => {
    const page = await get('/cases?limit=50');
    const persons = await Promise.all(page.items.map((c: any) => get('/persons/' + c.person_id).catch(() => null)));
    return page.items.map((c: any, i: number) => ({ c, p: persons[i] }));
  }, []);
  const [caseId, setCaseId] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const label = (x: { c: any; p: any }) => {
    const p = x.p ?? {};
    const written = [p.prs_FirstName, p.prs_SecondName].filter(Boolean).join(' ');
    const latin = (p.prs_LatinNames ?? []).join(', ');
    return [written, latin].filter(Boolean).join(' · ') || x.c.id;
  };
  return (
    <form
      noValidate
      class="card"
      aria-labelledby="link-title"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(null);
        try {
          await post('/investigation-victims', { investigation_id: investigationId, case_id: caseId });
          setCaseId('');
          onDone();
        } catch (err) {
          setError(err as ApiError);
        }
      }}
    >
      <h3 id="link-title">{t('link_victim')}</h3>
      <Select label={t('case')} name="case_id" value={caseId} options={(cases.data ?? []).map((x: any) => ({ value: x.c.id, label: label(x) }))} onChange={setCaseId} errors={error?.fields} required />
      <FormErrors error={error} shown={['case_id']} />
      <button type="submit">{t('save')}</button>
    </form>
  );
}

