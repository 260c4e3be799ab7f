import { defineReactRemote, useIdentity } from '@gatehouse/react';
import {
  type DirectoryUser,
  ErrorView,
  formatDate,
  PageHeader,
  plural,
  Skeleton,
  useApiData,
} from '@gatehouse/shop-ui';
import { type ReactNode, useState } from 'react';

/** The admin area: the user directory. Its code is served only to admins; the API checks `admin:access`. */
function Admin(): ReactNode {
  const identity = useIdentity();
  const users = useApiData<DirectoryUser[]>('/api/admin/users');
  const [filter, setFilter] = useState('');
  if (users.status === 'loading') return <Skeleton kind="lines" count={8} />;
  if (users.status === 'error')
    return <ErrorView error={users.error} what="admin area" retry={users.reload} />;
  const q = filter.trim().toLowerCase();
  const shown = users.data.filter(
    (user) =>
      !q ||
      [user.displayName, user.email, user.id, ...user.roles, ...user.tenants.map((t) => t.id)].some((value) =>
        value.toLowerCase().includes(q),
      ),
  );
  const count = (role: string) => users.data.filter((user) => user.roles.includes(role)).length;
  return (
    <div data-testid="admin">
      <PageHeader title="Admin" subtitle="Users of the shop and their access" />
      <div className="stat-row">
        <div className="stat">
          <div className="stat__value">{users.data.length}</div>
          <div className="stat__label">Users</div>
        </div>
        <div className="stat">
          <div className="stat__value">{count('customer')}</div>
          <div className="stat__label">Customers</div>
        </div>
        <div className="stat">
          <div className="stat__value">{count('support') + count('store_manager') + count('admin')}</div>
          <div className="stat__label">Staff</div>
        </div>
        <div className="stat">
          <div className="stat__value">
            {new Set(users.data.flatMap((u) => u.tenants.map((t) => t.id))).size}
          </div>
          <div className="stat__label">Organisations</div>
        </div>
      </div>
      <div className="toolbar">
        <input
          type="search"
          className="input"
          placeholder="Filter by name, email, role or organisation"
          aria-label="Filter users"
          value={filter}
          onChange={(event) => setFilter(event.target.value)}
        />
        <span className="muted">{plural(shown.length, 'user')}</span>
      </div>
      <div className="card table-wrap">
        <table className="table" data-testid="admin-users">
          <thead>
            <tr>
              <th>Name</th>
              <th>Email</th>
              <th>Roles</th>
              <th>Organisations</th>
              <th>Status</th>
              <th>Since</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((user) => (
              <tr key={user.id} data-testid="admin-user">
                <td>
                  <strong>{user.displayName}</strong>
                  <div className="muted mono">{user.id}</div>
                </td>
                <td>{user.email}</td>
                <td>
                  <div className="chips">
                    {user.roles.map((role) => (
                      <span className="chip" key={role}>
                        {role}
                      </span>
                    ))}
                  </div>
                </td>
                <td>
                  <div className="chips">
                    {user.tenants.map((tenant) => (
                      <span className="chip chip--tenant" key={tenant.id}>
                        {tenant.id} · {tenant.role}
                      </span>
                    ))}
                  </div>
                </td>
                <td>
                  <span className={`status status--${user.status}`}>{user.status}</span>
                </td>
                <td>{formatDate(user.createdAt, identity)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

/** The admin remote (role `admin`). */
export const remote = defineReactRemote(Admin);
