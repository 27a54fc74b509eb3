import { roleLabel } from '../i18n.ts';
import { PagedTable, type Column } from '../components/PagedTable.tsx';
import { formatDateTime } from '../lib/format.ts';
import { useLang } from '../lib/lang.tsx';
import { usePaged } from '../lib/usePaged.ts';

interface UserRow {
  id: string;
  username: string;
  displayName: string;
  roles: string[];
  jurisdictions: string[];
  createdAt: string;
}

export function UsersPage() {
  const { t, lang } = useLang();
  const list = usePaged<UserRow>('/api/v1/users');
  const columns: Column<UserRow>[] = [
    { key: 'username', label: 'users.username', render: (u) => <code>{u.username}</code> },
    { key: 'displayName', label: 'users.displayName', render: (u) => u.displayName },
    { key: 'roles', label: 'users.roles', render: (u) => u.roles.map((r) => roleLabel(lang, r)).join(', ') },
    { key: 'jurisdictions', label: 'users.jurisdictions', render: (u) => u.jurisdictions.join(', ') },
    { key: 'createdAt', label: 'users.createdAt', render: (u) => formatDateTime(u.createdAt, lang) },
  ];
  return (
    <div className="page" data-page="users">
      <h1>{t('users.title')}</h1>
      <PagedTable
        testId="users-table"
        columns={columns}
        rows={list.items}
        rowKey={(u) => u.id}
        loading={list.loading}
        error={list.error}
        hasMore={list.nextCursor != null}
        onMore={list.loadMore}
      />
    </div>
  );
}
