import { useState } from 'preact/hooks';
import { get, patch, post, query } from '../api';
import { useSession } from '../session';
import { useI18n } from '../i18n';
import { Link, navigate, useLocation } from '../router';
import { Code, CodeSelect, DataTable, DateText, ErrorBox, Loading, PersonName, Select, StatusBadge, SubForm, TextInput, useAsync } from '../ui';

function SearchResults({ found }: { found: ReturnType<typeof useAsync<any>> }) {
  const { t } = useI18n();
  if (found.loading && !found.data) return <Loading />;
  if (!found.data) return <ErrorBox error={found.error} onRetry={found.reload} />;
  const items = found.data.items as any[];
  if (items.length === 0) return <p class="muted">{t('none_found')}</p>;
  return (
    <table class="list search-results">
      <caption class="sr-only">{t('search_results')}</caption>
      <thead>
        <tr>
          <th scope="col">{t('f_name')}</th>
          <th scope="col">{t('search_score')}</th>
          <th scope="col">{t('search_reason')}</th>
        </tr>
      </thead>
      <tbody>
        {items.map((x) => (
          <tr key={x.id}>
            <td>
              <Link href={`/persons/${x.id}`}>{x.person ? <PersonName p={x.person} /> : x.id}</Link>
            </td>
            <td>
              <meter min={0} max={1} value={x.score} aria-label={t('search_score')} /> {Math.round(x.score * 100)}%
            </td>
            <td class="small" lang="en">
              {x.reason}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function PersonList() {
  const { t } = useI18n();
  const { params } = useLocation();
  const sex = params.get('prs_Sex') ?? '';
  const citizenship = params.get('prs_Citizenship') ?? '';
  const q = params.get('q') ?? '';
  const [typed, setTyped] = useState(q);
  const [cursor, setCursor] = useState<string | null>(null);
  const list = useAsync(
    () => (q ? Promise.resolve(null) : get('/persons' + query({ prs_Sex: sex, prs_Citizenship: citizenship, limit: 50, cursor }))),
    [q, sex, citizenship, cursor],
  );
  // A name in any script or spelling: ranked candidates with the reason.
  const found = useAsync(
    () => (q ? get('/persons/search' + query({ q, sex, citizenship, limit: 20 })) : Promise.resolve(null)),
    [q, sex, citizenship],
  );
  const setFilter = (k: string, v: string) => {
    const p = new URLSearchParams(location.search);
    if (v) p.set(k, v);
    else p.delete(k);
    setCursor(null);
    navigate('/persons' + (p.toString() ? '?' + p : ''), true);
  };
  return (
    <section>
      <h1 tabIndex={-1}>{t('nav_persons')}</h1>
      <form
        role="search"
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter('q', typed.trim());
        }}
      >
        <TextInput label={t('search_name')} name="q" value={typed} onInput={setTyped} hint={t('search_name_hint')} />
        <button type="submit">{t('search')}</button>
      </form>
      <form noValidate class="filters" onSubmit={(e) => e.preventDefault()} aria-label={t('filters')}>
        <CodeSelect label={t('f_sex')} name="prs_Sex" list="sex" value={sex} onChange={(v) => setFilter('prs_Sex', v)} allLabel={t('all')} />
        <CodeSelect
          label={t('f_citizenship')}
          name="prs_Citizenship"
          list="country"
          value={citizenship}
          onChange={(v) => setFilter('prs_Citizenship', v)}
          allLabel={t('all')}
          sort
        />
      </form>
      {q && <SearchResults found={found} />}
      {list.loading && <Loading />}
      <ErrorBox error={list.error} onRetry={list.reload} />
      {list.data && (
        <>
          <DataTable
            caption={t('nav_persons')}
            rows={list.data.items}
            rowKey={(p: any) => p.id}
            columns={[
              {
                header: t('f_name'),
                cell: (p: any) => (
                  <Link href={`/persons/${p.id}`}>
                    <PersonName p={p} />
                  </Link>
                ),
              },
              { header: t('f_sex'), cell: (p: any) => <Code list="sex" code={p.prs_Sex} /> },
              {
                header: t('f_citizenship'),
                cell: (p: any) =>
                  (p.prs_Citizenship ?? []).map((c: string, i: number) => (
                    <span key={c}>
                      {i > 0 && ', '}
                      <Code list="country" code={c} />
                    </span>
                  )),
              },
              { header: t('registered_on'), cell: (p: any) => <DateText value={p.created_at} />, sortKey: (p: any) => p.created_at },
            ]}
          />
          {list.data.items.length === 0 && <p class="muted">{t('none_found')}</p>}
          <div class="pager">
            {cursor && (
              <button type="button" class="secondary" onClick={() => setCursor(null)}>
                {t('first_page')}
              </button>
            )}
            {list.data.next_cursor && (
              <button type="button" class="secondary" onClick={() => setCursor(list.data.next_cursor)}>
                {t('next_page')}
              </button>
            )}
          </div>
        </>
      )}
    </section>
  );
}

export function PersonView({ id }: { id: string }) {
  const { t } = useI18n();
  const { can } = useSession();
  const person = useAsync(() => get('/persons/' + id), [id]);
  const cases = useAsync(() => get('/cases' + query({ person_id: id, limit: 50 })), [id]);
  if (person.loading && !person.data) return <Loading />;
  if (person.error && !person.data)
    return (
      <section>
        <h1 tabIndex={-1}>{t('person')}</h1>
        <ErrorBox error={person.error} onRetry={person.reload} />
      </section>
    );
  const p = person.data;
  return (
    <section>
      <h1 tabIndex={-1}>
        <PersonName p={p} />
      </h1>
      {p.merged_into && <MergedNotice p={p} onDone={person.reload} />}
      <dl class="facts">
        <dt>{t('f_sex')}</dt>
        <dd>
          <Code list="sex" code={p.prs_Sex} />
        </dd>
        <dt>{t('f_birthdate')}</dt>
        <dd>
          <DateText value={p.prs_Birthdate} />
          {p.prs_EstimatedAge != null && <> {t('estimated_age', { n: p.prs_EstimatedAge })}</>}
        </dd>
        <dt>{t('f_citizenship')}</dt>
        <dd>
          {(p.prs_Citizenship ?? []).map((c: string) => (
            <span key={c} class="chip">
              <Code list="country" code={c} />
            </span>
          ))}
        </dd>
        <dt>{t('f_language')}</dt>
        <dd>
          <Code list="language" code={p.prs_PrimaryLanguage} />
        </dd>
        {p.prs_Aliases?.length > 0 && (
          <>
            <dt>{t('f_aliases')}</dt>
            <dd>{p.prs_Aliases.join(', ')}</dd>
          </>
        )}
      </dl>
      {can('persons', 'update') && !p.merged_into && <EditPerson p={p} onDone={person.reload} />}
      <h2>{t('nav_cases')}</h2>
      {cases.loading && <Loading />}
      <ErrorBox error={cases.error} onRetry={cases.reload} />
      <ul class="plain">
        {cases.data?.items.map((c: any) => (
          <li key={c.id}>
            <Link href={`/cases/${c.id}`}>
              {t('case')} <DateText value={c.cas_OpenedOn} />
            </Link>{' '}
            <StatusBadge list="case_status" code={c.cas_Status} />
          </li>
        ))}
      </ul>
    </section>
  );
}

// A person merged into another (issue 8): still readable, with a link to
// the person who holds its cases now and, for reviewers, the undo.
function MergedNotice({ p, onDone }: { p: any; onDone: () => void }) {
  const { t } = useI18n();
  const { can } = useSession();
  const merges = useAsync(() => get('/person-merges' + query({ person: p.id })), [p.id, p.version]);
  const [error, setError] = useState<any>(null);
  const live = merges.data?.items.find((m: any) => m.merged_id === p.id && !m.undone);
  const undo = async () => {
    setError(null);
    try {
      await post(`/person-merges/${live.id}/undo`, { version: live.version });
      onDone();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <div class="card merged-notice" role="status">
      <p>
        {t('merged_into')} <Link href={`/persons/${p.merged_into}`}>{p.merged_into}</Link>
        {p.merged_at && (
          <span class="muted small">
            {' '}
            · <DateText value={p.merged_at.slice(0, 10)} />
          </span>
        )}
      </p>
      <ErrorBox error={error ?? merges.error} onRetry={merges.reload} />
      {live && can('persons', 'merge') && (
        <button type="button" class="secondary" onClick={undo}>
          {t('merge_undo')}
        </button>
      )}
    </div>
  );
}

// Corrects the names and the main facts (RFC 7386 merge patch with the
// version read; a field emptied is removed).
function EditPerson({ p, onDone }: { p: any; onDone: () => void }) {
  const { t } = useI18n();
  const initial = () => ({
    prs_FirstName: p.prs_FirstName ?? '',
    prs_SecondName: p.prs_SecondName ?? '',
    latin: (p.prs_LatinNames ?? []).join(', '),
    aliases: (p.prs_Aliases ?? []).join(', '),
    prs_Sex: p.prs_Sex ?? '',
    prs_Birthdate: p.prs_Birthdate ?? '',
  });
  const [v, setV] = useState(initial);
  const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);
  const submit = () => {
    const body: Record<string, any> = { version: p.version };
    for (const k of ['prs_FirstName', 'prs_SecondName', 'prs_Sex', 'prs_Birthdate'] as const) body[k] = v[k].trim() || null;
    body.prs_LatinNames = list(v.latin).length ? list(v.latin) : null;
    body.prs_Aliases = list(v.aliases).length ? list(v.aliases) : null;
    return patch(`/persons/${p.id}`, body);
  };
  return (
    <SubForm
      label={t('edit')}
      titleId="edit-person"
      shown={['prs_FirstName', 'prs_SecondName', 'prs_LatinNames', 'prs_Aliases', 'prs_Sex', 'prs_Birthdate']}
      onOpen={() => setV(initial())}
      submit={submit}
      onDone={onDone}
    >
      {(errors) => (
        <>
          <TextInput label={t('f_first_name')} name="prs_FirstName" value={v.prs_FirstName} onInput={(x) => setV({ ...v, prs_FirstName: x })} errors={errors} />
          <TextInput label={t('f_second_name')} name="prs_SecondName" value={v.prs_SecondName} onInput={(x) => setV({ ...v, prs_SecondName: x })} errors={errors} />
          <TextInput label={t('f_latin_names')} name="prs_LatinNames" value={v.latin} onInput={(x) => setV({ ...v, latin: x })} errors={errors} hint={t('hint_latin')} />
          <TextInput label={t('f_aliases')} name="prs_Aliases" value={v.aliases} onInput={(x) => setV({ ...v, aliases: x })} errors={errors} />
          <CodeSelect label={t('f_sex')} name="prs_Sex" list="sex" value={v.prs_Sex} onChange={(x) => setV({ ...v, prs_Sex: x })} errors={errors} />
          <TextInput label={t('f_birthdate')} name="prs_Birthdate" type="date" value={v.prs_Birthdate} onInput={(x) => setV({ ...v, prs_Birthdate: x })} errors={errors} />
        </>
      )}
    </SubForm>
  );
}

// Possible duplicates proposed at registration, when a referral is accepted
// and by `ctims dedupe`: both persons side by side with the score and why.
// Reviewers (persons:merge) mark a pair "not the same" or reopen it.
export function DuplicateQueue() {
  const { t } = useI18n();
  const { can } = useSession();
  const { params } = useLocation();
  const status = params.get('status') ?? 'open';
  const queue = useAsync(() => get('/person-duplicates' + query({ status, limit: 50 })), [status]);
  const [error, setError] = useState<any>(null);
  const review = async (x: any, action: string, keep?: string) => {
    setError(null);
    try {
      await post(`/person-duplicates/${x.id}/${action}`, keep ? { keep, version: x.version } : { version: x.version });
    } catch (e) {
      setError(e);
    }
    queue.reload();
  };
  return (
    <section>
      <h1 tabIndex={-1}>{t('dup_title')}</h1>
      <form noValidate class="filters" onSubmit={(e) => e.preventDefault()} aria-label={t('filters')}>
        <Select
          label={t('f_status')}
          name="status"
          value={status}
          options={['open', 'not_same', 'merged'].map((s) => ({ value: s, label: t(('dup_' + s) as any) }))}
          onChange={(v) => navigate('/duplicates' + query({ status: v }), true)}
        />
      </form>
      {queue.loading && <Loading />}
      <ErrorBox error={queue.error ?? error} onRetry={queue.reload} />
      {queue.data?.items.length === 0 && <p class="muted">{t('none_found')}</p>}
      <ul class="cards">
        {queue.data?.items.map((x: any) => (
          <li key={x.id} class="card duplicate">
            <div class="pair">
              {(x.persons ?? []).map((p: any) => (
                <div key={p.id}>
                  <Link href={`/persons/${p.id}`}>
                    <PersonName p={p} />
                  </Link>
                  <p class="muted small">
                    <Code list="sex" code={p.prs_Sex} /> {p.prs_Birthdate ?? (p.prs_EstimatedAge !== undefined ? `~${p.prs_EstimatedAge}` : '')}{' '}
                    {(p.prs_Citizenship ?? []).join(', ')}
                  </p>
                  {x.status === 'open' && can('persons', 'merge') && (
                    <button type="button" class="small" onClick={() => review(x, 'merge', p.id)}>
                      {t('dup_merge_keep')}
                    </button>
                  )}
                </div>
              ))}
            </div>
            <p>
              <meter min={0} max={1} value={x.score} aria-label={t('search_score')} /> {Math.round(x.score * 100)}% ·{' '}
              <span class="muted">{x.source}</span>
            </p>
            {x.reason && (
              <p class="small" lang="en">
                {x.reason}
              </p>
            )}
            {can('persons', 'merge') && (
              <p class="actions">
                {x.status === 'open' ? (
                  <button type="button" class="secondary" onClick={() => review(x, 'not_same')}>
                    {t('dup_not_same_action')}
                  </button>
                ) : x.status === 'merged' ? null : (
                  <button type="button" class="secondary" onClick={() => review(x, 'reopen')}>
                    {t('dup_reopen')}
                  </button>
                )}
              </p>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
