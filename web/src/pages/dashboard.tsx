import { useEffect, useState } from 'preact/hooks';
import { get, post } from '../api';
import { useI18n } from '../i18n';
import { Link } from '../router';
import { useSession } from '../session';
import { Code, DateText, ErrorBox, LazyPage, Loading, useAsync } from '../ui';

// Overdue work first: referrals waiting for my agency's answer, my tasks,
// unread notifications; then, for roles that read statistics, the
// assistance report with its filters (loaded on demand).
export function Dashboard() {
  const { t } = useI18n();
  const { session, can } = useSession();
  const tasks = useAsync(() => (can('cases', 'read') ? get('/tasks?assignee=agency') : Promise.resolve({ items: [] })), []);
  const notes = useAsync(() => get('/notifications?unread=true'), []);
  const inbox = useAsync(
    () => (can('referrals', 'list') ? get('/referrals/inbox?status=Requested') : Promise.resolve({ items: [] })),
    [],
  );
  const late = useAsync(
    () => (can('referrals', 'list') ? get('/referrals/outbox?overdue=true') : Promise.resolve({ items: [] })),
    [],
  );
  // A request to answer opens the inbox (the case is not ours to see yet).
  const link = (x: any) =>
    x.resource === 'referrals' || x.resource === 'transfers' ? '/referrals' : x.case_id ? `/cases/${x.case_id}` : '/';
  return (
    <section>
      <h1 tabIndex={-1}>{t('nav_dashboard')}</h1>
      <p class="muted">{t('welcome', { name: session.user.display_name || session.user.username })}</p>
      <div class="grid">
        {(can('plan-activities', 'list') || can('directives', 'list')) && <TaskforceOverdue />}
        {can('referrals', 'list') && (
          <article class="card" aria-labelledby="d-inbox">
            <h2 id="d-inbox">{t('referrals_waiting')}</h2>
            {inbox.loading ? <Loading /> : <ErrorBox error={inbox.error} onRetry={inbox.reload} />}
            {inbox.data && (
              <p class="figure">
                <Link href="/referrals">{String(inbox.data.items.length)}</Link>
                {inbox.data.items.some((r: any) => r.overdue) && (
                  <span class="badge badge-overdue">
                    {t('overdue')}: {inbox.data.items.filter((r: any) => r.overdue).length}
                  </span>
                )}
              </p>
            )}
          </article>
        )}
        {late.data && late.data.items.length > 0 && (
          <article class="card" aria-labelledby="d-late">
            <h2 id="d-late">{t('referrals_unanswered')}</h2>
            <p class="figure">
              <Link href="/referrals">{String(late.data.items.length)}</Link>
              <span class="badge badge-overdue">{t('overdue')}</span>
            </p>
          </article>
        )}
        {can('cases', 'read') && (
          <article class="card" aria-labelledby="d-tasks">
            <h2 id="d-tasks">{t('tasks')}</h2>
            {tasks.loading ? <Loading /> : <ErrorBox error={tasks.error} onRetry={tasks.reload} />}
            {tasks.data && tasks.data.items.length === 0 && <p class="muted">{t('nothing_to_do')}</p>}
            <ul class="plain">
              {tasks.data?.items.map((x: any) => (
                <li key={x.id}>
                  <Link href={link(x)}>
                    <Code list="task_kind" code={x.kind} />
                  </Link>{' '}
                  <span class="muted">
                    {t('due')} <DateText value={x.due_at} time />
                  </span>{' '}
                  {x.overdue && <span class="badge badge-overdue">{t('overdue')}</span>}
                </li>
              ))}
            </ul>
          </article>
        )}
        <article class="card" aria-labelledby="d-notes">
          <h2 id="d-notes">{t('notifications')}</h2>
          {notes.loading ? <Loading /> : <ErrorBox error={notes.error?.status === 403 ? null : notes.error} onRetry={notes.reload} />}
          {notes.data && notes.data.items.length === 0 && <p class="muted">{t('no_notifications')}</p>}
          <ul class="plain">
            {notes.data?.items.map((n: any) => (
              <li key={n.id}>
                <Link href={link(n)}>
                  <Code list="notification_kind" code={n.kind} />
                </Link>{' '}
                <span class="muted">
                  <DateText value={n.created_at} time />
                </span>{' '}
                <button type="button" class="link" onClick={() => post(`/notifications/${n.id}/read`).then(notes.reload, notes.reload)}>
                  {t('mark_read')}
                </button>
              </li>
            ))}
          </ul>
        </article>
      </div>
      {can('statistics', 'report') && <LazyPage load={() => import('./statistics').then((m) => m.DashboardStatistics)} />}
    </section>
  );
}

// issue 7: overdue plan activities and directives, from the lazily loaded
// taskforce pages.
function TaskforceOverdue() {
  const [Card, setCard] = useState<(() => any) | null>(null);
  useEffect(() => {
    import('./taskforce').then((m) => setCard(() => m.OverdueCard));
  }, []);
  return Card ? <Card /> : null;
}
