import { useState } from 'preact/hooks';
import { ApiError, get, post, query, type FieldError } from '../api';
import { agencies, agencyName } from '../data';
import { useI18n } from '../i18n';
import { Link } from '../router';
import { useSession } from '../session';
import { Code, CodeSelect, DateText, ErrorBox, FormErrors, Loading, StatusBadge, TextInput, useAsync } from '../ui';

export function Referrals() {
  const { t, lang } = useI18n();
  const { can } = useSession();
  const [box, setBox] = useState<'inbox' | 'outbox'>('inbox');
  const [res, setRes] = useState<'referrals' | 'transfers'>('referrals');
  const [status, setStatus] = useState('');
  const list = useAsync(() => get(`/${res}/${box}` + query({ status, limit: 100 })), [res, box, status]);
  // Referrals (services) and transfers (ownership) share the page; their
  // fields differ by prefix.
  const pf = res === 'referrals' ? 'ref_' : 'trf_';
  const statusList = res === 'referrals' ? 'referral_status' : 'transfer_status';
  const orgs = useAsync(agencies, []);
  return (
    <section>
      <h1 tabIndex={-1}>{t('nav_referrals')}</h1>
      {can('transfers', 'list') && (
        <div class="actions kinds">
          {(['referrals', 'transfers'] as const).map((r) => (
            <button
              key={r}
              type="button"
              class={res === r ? '' : 'secondary'}
              aria-pressed={res === r}
              onClick={() => {
                setStatus('');
                setRes(r);
              }}
            >
              {t(r === 'referrals' ? 'kind_referrals' : 'kind_transfers')}
            </button>
          ))}
        </div>
      )}
      <div class="tabs" role="tablist" aria-label={t('nav_referrals')}>
        {(['inbox', 'outbox'] as const).map((b) => (
          <button
            key={b}
            type="button"
            role="tab"
            id={'tab-' + b}
            aria-selected={box === b}
            aria-controls="ref-panel"
            class={box === b ? 'tab current' : 'tab'}
            tabIndex={box === b ? 0 : -1}
            onClick={() => setBox(b)}
            onKeyDown={(e) => {
              // Arrow keys move between the tabs (WAI-ARIA tabs pattern).
              if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
              e.preventDefault();
              const other = b === 'inbox' ? 'outbox' : 'inbox';
              setBox(other);
              (document.getElementById('tab-' + other) as HTMLElement | null)?.focus();
            }}
          >
            {t(b)}
          </button>
        ))}
      </div>
      <div id="ref-panel" role="tabpanel" aria-labelledby={'tab-' + box}>
        <form noValidate class="filters" onSubmit={(e) => e.preventDefault()} aria-label={t('filters')}>
          <CodeSelect label={t('f_status')} name="status" list={statusList} value={status} onChange={setStatus} allLabel={t('all')} />
        </form>
        {list.loading && <Loading />}
        <ErrorBox error={list.error} onRetry={list.reload} />
        {list.data?.items.length === 0 && <p class="muted">{t('none_found')}</p>}
        <ul class="cards">
          {list.data?.items.map((r: any) => (
            <li key={r.id} class="card referral">
              <p>
                <StatusBadge list={statusList} code={r[pf + 'Status']} />{' '}
                {r.ref_Urgency && (
                  <span class={'badge badge-' + String(r.ref_Urgency).toLowerCase()}>
                    <Code list="referral_urgency" code={r.ref_Urgency} />
                  </span>
                )}{' '}
                {r.overdue && <span class="badge badge-overdue">{t('overdue')}</span>}
              </p>
              <p>
                {box === 'inbox' ? t('from_agency') : t('f_to_agency')}:{' '}
                <strong>{agencyName(orgs.data, box === 'inbox' ? r.from_agency_id : r.to_agency_id, lang)}</strong>
              </p>
              {r.ref_ServicesRequested && (
                <p>
                  {t('f_services')}:{' '}
                  {r.ref_ServicesRequested.map((s: string, i: number) => (
                    <span key={s}>
                      {i > 0 && ', '}
                      <Code list="service_type" code={s} />
                    </span>
                  ))}
                </p>
              )}
              {r[pf + 'Reason'] && <p class="reason">{r[pf + 'Reason']}</p>}
              {r[pf + 'DeclineReason'] && (
                <p class="reason">
                  {t('decline')}: {r[pf + 'DeclineReason']}
                </p>
              )}
              <p class="muted">
                {t('requested_at')} <DateText value={r[pf + 'RequestedAt'] ?? r.created_at} time />
                {r.ref_DueAt && (
                  <>
                    {' · '}
                    {t('due')} <DateText value={r.ref_DueAt} time />
                  </>
                )}
              </p>
              {(box === 'outbox' || r[pf + 'Status'] === 'Accepted' || r[pf + 'Status'] === 'Completed') && (
                <p>
                  <Link href={`/cases/${r.case_id}`}>{t('open_case')}</Link>
                </p>
              )}
              <Actions r={r} res={res} box={box} can={can} onDone={list.reload} />
            </li>
          ))}
        </ul>
      </div>
    </section>
  );
}

function Actions({ r, res, box, can, onDone }: { r: any; res: string; box: string; can: (a: string, b: string) => boolean; onDone: () => void }) {
  const state = r[(res === 'referrals' ? 'ref_' : 'trf_') + 'Status'];
  const { t } = useI18n();
  const [declining, setDeclining] = useState(false);
  const [reason, setReason] = useState('');
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  const step = async (action: string, body: Record<string, any> = {}) => {
    setErrors([]);
    setError(null);
    try {
      await post(`/${res}/${r.id}/transitions/${action}`, { version: r.version, ...body });
      onDone();
    } catch (err) {
      setError(err as ApiError);
      if ((err as ApiError).status === 409) onDone(); // answered elsewhere meanwhile: show the current state
      setErrors((err as ApiError).fields.map((f) => ({ ...f, path: f.path.endsWith('DeclineReason') ? 'reason' : f.path })));
    }
  };
  const buttons = [];
  if (box === 'inbox' && state === 'Requested') {
    if (can(res, 'accept'))
      buttons.push(
        <button key="a" type="button" onClick={() => step('accept')}>
          {t('accept')}
        </button>,
      );
    if (can(res, 'decline'))
      buttons.push(
        <button key="d" type="button" class="secondary" onClick={() => setDeclining(true)}>
          {t('decline')}
        </button>,
      );
  }
  if (box === 'inbox' && state === 'Accepted' && res === 'referrals' && can(res, 'complete'))
    buttons.push(
      <button key="c" type="button" onClick={() => step('complete')}>
        {t('complete')}
      </button>,
    );
  if (box === 'outbox' && state === 'Requested' && can(res, 'revoke'))
    buttons.push(
      <button key="r" type="button" class="secondary" onClick={() => step('revoke')}>
        {t('revoke')}
      </button>,
    );
  return (
    <>
      <div class="actions">{buttons}</div>
      {declining && (
        <form noValidate
          onSubmit={(e) => {
            e.preventDefault();
            step('decline', { reason });
          }}
        >
          <TextInput label={t('reason')} name="reason" value={reason} onInput={setReason} errors={errors} multiline required />
          <button type="submit">{t('decline')}</button>
        </form>
      )}
      <FormErrors error={error} shown={['reason']} />
    </>
  );
}
