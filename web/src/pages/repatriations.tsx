import { useEffect, useState } from 'preact/hooks';
import { ApiError, listAll, patch, post, type FieldError } from '../api';
import { useI18n, type Key } from '../i18n';
import { Link } from '../router';
import { useSession } from '../session';
import { Code, CodeSelect, DateText, ErrorBox, FormErrors, Loading, TextInput, useAsync, useCodelist } from '../ui';
import { labelOf } from '../i18n';

// Columns by state; each card offers the steps its state allows.
const NEXT: Record<string, { action: string; label: Key }[]> = {
  Planned: [{ action: 'documents_ready', label: 'rep_documents_ready' }],
  DocumentsReady: [{ action: 'depart', label: 'rep_depart' }],
  Departed: [{ action: 'receive', label: 'rep_receive' }],
  Received: [{ action: 'follow_up', label: 'rep_follow_up' }],
};

export function Repatriations() {
  const { t, lang } = useI18n();
  const { can } = useSession();
  const statuses = useCodelist('repatriation_status');
  const list = useAsync(() => listAll('/repatriations'), []);
  const [error, setError] = useState<ApiError | null>(null);
  // After a change the cards are stale until the board reloads: a step sent
  // meanwhile would carry the old version and be refused (409).
  const [stale, setStale] = useState(false);
  useEffect(() => setStale(false), [list.data, list.error]);
  const refresh = () => {
    setStale(true);
    list.reload();
  };
  const step = async (r: any, action: string) => {
    setError(null);
    try {
      await post(`/repatriations/${r.id}/transitions/${action}`, { version: r.version });
      refresh();
    } catch (e) {
      setError(e as ApiError);
      if ((e as ApiError).status === 409) list.reload(); // someone else moved it: show the current state
    }
  };
  const columns = ['Planned', 'DocumentsReady', 'Departed', 'Received', 'FollowedUp'];
  return (
    <section>
      <h1 tabIndex={-1}>{t('nav_repatriations')}</h1>
      {list.loading && <Loading />}
      <ErrorBox error={list.error} onRetry={list.reload} />
      <FormErrors error={error} shown={[]} />
      <div class="board">
        {columns.map((col) => {
          const items = (list.data ?? []).filter((r: any) => r.rep_Status === col);
          return (
            <section key={col} class="column" aria-labelledby={'col-' + col}>
              <h2 id={'col-' + col}>
                {labelOf(statuses, col, lang)} <span class="muted">({items.length})</span>
              </h2>
              <ul class="plain">
                {items.map((r: any) => (
                  <li key={r.id} class="card">
                    <p>
                      <Code list="country" code={r.rep_DestinationCountry} /> {r.rep_DestinationPlace}
                    </p>
                    {r.rep_PlannedDate && (
                      <p class="muted">
                        {t('planned')} <DateText value={r.rep_PlannedDate} />
                      </p>
                    )}
                    <p>
                      <Code list="repatriation_direction" code={r.rep_Direction} />
                    </p>
                    <p>
                      <Link href={`/cases/${r.case_id}`}>{t('open_case')}</Link>
                    </p>
                    {col !== 'FollowedUp' && can('repatriations', 'update') && <Details r={r} onDone={refresh} />}
                    <div class="actions">
                      {(NEXT[col] ?? [])
                        .filter((n) => can('repatriations', n.action))
                        .map((n) => (
                          <button key={n.action} type="button" disabled={stale} onClick={() => step(r, n.action)}>
                            {t(n.label)}
                          </button>
                        ))}
                    </div>
                  </li>
                ))}
              </ul>
            </section>
          );
        })}
      </div>
    </section>
  );
}

// What the next steps need: travel documents, the border crossing point.
function Details({ r, onDone }: { r: any; onDone: () => void }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const [v, setV] = useState({ rep_TravelDocumentStatus: r.rep_TravelDocumentStatus ?? '', rep_BorderCrossingPoint: r.rep_BorderCrossingPoint ?? '' });
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  if (!open)
    return (
      <button type="button" class="link" onClick={() => setOpen(true)}>
        {t('rep_details')}
      </button>
    );
  return (
    <form
      noValidate
      aria-label={t('rep_details')}
      onSubmit={async (e) => {
        e.preventDefault();
        setErrors([]);
        setError(null);
        try {
          await patch(`/repatriations/${r.id}`, {
            version: r.version,
            rep_TravelDocumentStatus: v.rep_TravelDocumentStatus || null,
            rep_BorderCrossingPoint: v.rep_BorderCrossingPoint.trim() || null,
          });
          setOpen(false);
          onDone();
        } catch (err) {
          setErrors((err as ApiError).fields);
          setError(err as ApiError);
        }
      }}
    >
      <CodeSelect label={t('f_travel_documents')} name="rep_TravelDocumentStatus" list="travel_document_status" value={v.rep_TravelDocumentStatus} onChange={(x) => setV({ ...v, rep_TravelDocumentStatus: x })} errors={errors} />
      <TextInput label={t('f_border_crossing')} name="rep_BorderCrossingPoint" value={v.rep_BorderCrossingPoint} onInput={(x) => setV({ ...v, rep_BorderCrossingPoint: x })} errors={errors} />
      <FormErrors error={error} shown={['rep_TravelDocumentStatus', 'rep_BorderCrossingPoint']} />
      <button type="submit">{t('save')}</button>
    </form>
  );
}
