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
  const [status, setStatus] = useState('');
  const list = useAsync(() => get(`/referrals/${box}` + query({ status, limit: 100 })), [box, status]);
  const orgs = useAsync(agencies, []);
  return (
    <section>
      <h1 tabIndex={-1}>{t('nav_referrals')}</h1>
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
            onClick={() => setBox(b)}
          >
            {t(b)}
          </button>
        ))}
      </div>
      <div id="ref-panel" role="tabpanel" aria-labelledby={'tab-' + box}>
        <form noValidate class="filters" onSubmit={(e) => e.preventDefault()} aria-label={t('filters')}>
          <CodeSelect label={t('f_status')} name="status" list="referral_status" value={status} onChange={setStatus} allLabel={t('all')} />
        </form>
        {list.loading && <Loading />}
        <ErrorBox error={list.error} onRetry={list.reload} />
        {list.data?.items.length === 0 && <p class="muted">{t('none_found')}</p>}
        <ul class="cards">
          {list.data?.items.map((r: any) => (
            <li key={r.id} class="card referral">
              <p>
                <StatusBadge list="referral_status" code={r.ref_Status} />{' '}
                <span class={'badge badge-' + String(r.ref_Urgency ?? '').toLowerCase()}>
                  <Code list="referral_urgency" code={r.ref_Urgency} />
                </span>{' '}
                {r.overdue && <span class="badge badge-overdue">{t('overdue')}</span>}
              </p>
              <p>
                {box === 'inbox' ? t('from_agency') : t('f_to_agency')}:{' '}
                <strong>{agencyName(orgs.data, box === 'inbox' ? r.from_agency_id : r.to_agency_id, lang)}</strong>
              </p>
              <p>
                {t('f_services')}:{' '}
                {(r.ref_ServicesRequested ?? []).map((s: string, i: number) => (
                  <span key={s}>
                    {i > 0 && ', '}
                    <Code list="service_type" code={s} />
                  </span>
                ))}
              </p>
              {r.ref_Reason && <p class="reason">{r.ref_Reason}</p>}
              <p class="muted">
                {t('requested_at')} <DateText value={r.ref_RequestedAt ?? r.created_at} time />
                {r.ref_DueAt && (
                  <>
                    {' · '}
                    {t('due')} <DateText value={r.ref_DueAt} time />
                  </>
                )}
              </p>
              {(box === 'outbox' || r.ref_Status === 'Accepted' || r.ref_Status === 'Completed') && (
                <p>
                  <Link href={`/cases/${r.case_id}`}>{t('open_case')}</Link>
                </p>
              )}
              <Actions r={r} box={box} can={can} onDone={list.reload} />
            </li>
          ))}
        </ul>
      </div>
    </section>
  );
}

function Actions({ r, box, can, onDone }: { r: any; box: string; can: (a: string, b: string) => boolean; onDone: () => void }) {
  const { t } = useI18n();
  const [declining, setDeclining] = useState(false);
  const [reason, setReason] = useState('');
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  const step = async (action: string, body: Record<string, any> = {}) => {
    setErrors([]);
    setError(null);
    try {
      await post(`/referrals/${r.id}/transitions/${action}`, { version: r.version, ...body });
      onDone();
    } catch (err) {
      setError(err as ApiError);
      setErrors((err as ApiError).fields.map((f) => ({ ...f, path: f.path === 'ref_DeclineReason' ? 'reason' : f.path })));
    }
  };
  const buttons = [];
  if (box === 'inbox' && r.ref_Status === 'Requested') {
    if (can('referrals', 'accept'))
      buttons.push(
        <button key="a" type="button" onClick={() => step('accept')}>
          {t('accept')}
        </button>,
      );
    if (can('referrals', 'decline'))
      buttons.push(
        <button key="d" type="button" class="secondary" onClick={() => setDeclining(true)}>
          {t('decline')}
        </button>,
      );
  }
  if (box === 'inbox' && r.ref_Status === 'Accepted' && can('referrals', 'complete'))
    buttons.push(
      <button key="c" type="button" onClick={() => step('complete')}>
        {t('complete')}
      </button>,
    );
  if (box === 'outbox' && r.ref_Status === 'Requested' && can('referrals', 'revoke'))
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
