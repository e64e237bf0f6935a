import { get, listAll } from '../api';
import { useI18n } from '../i18n';
import { Link } from '../router';
import { Code, DateText, ErrorBox, Loading, StatusBadge, useAsync } from '../ui';

export function InvestigationList() {
  const { t } = useI18n();
  const list = useAsync(() => listAll('/investigations'), []);
  return (
    <section>
      <h1 tabIndex={-1}>{t('nav_investigations')}</h1>
      {list.loading && <Loading />}
      <ErrorBox error={list.error} onRetry={list.reload} />
      {list.data?.length === 0 && <p class="muted">{t('none_found')}</p>}
      {list.data && list.data.length > 0 && (
        <table class="list">
          <caption class="sr-only">{t('nav_investigations')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('f_reference')}</th>
              <th scope="col">{t('f_status')}</th>
              <th scope="col">{t('opened_on')}</th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((i: any) => (
              <tr key={i.id}>
                <td>
                  <Link href={`/investigations/${i.id}`}>{i.inv_Reference || t('investigation')}</Link>
                </td>
                <td>
                  <StatusBadge list="investigation_status" code={i.inv_Status} />
                </td>
                <td>
                  <DateText value={i.inv_OpenedOn} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function InvestigationView({ id }: { id: string }) {
  const { t } = useI18n();
  const inv = useAsync(() => get('/investigations/' + id), [id]);
  const victims = useAsync(() => listAll('/investigation-victims', { investigation_id: id }).catch(() => []), [id]);
  if (inv.loading) return <Loading />;
  if (inv.error)
    return (
      <section>
        <h1 tabIndex={-1}>{t('investigation')}</h1>
        <ErrorBox error={inv.error} onRetry={inv.reload} />
      </section>
    );
  const i = inv.data;
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
      {i.inv_Summary && <p>{i.inv_Summary}</p>}
      <h2>{t('suspects')}</h2>
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
    </section>
  );
}
