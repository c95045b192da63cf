/** The nav link to the notifications, with the unread count: read again on every page change, every minute, and after every change of the user's. */
import { useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { NavLink, useLocation } from 'react-router-dom';
import { auditKeys } from '../../api/audit.js';
import { useSession } from '../auth/session.js';

export function NotificationsLink() {
  const { audit } = useSession();
  const { pathname } = useLocation();
  const unread = useQuery({ queryKey: auditKeys.unreadNotifications(), queryFn: () => audit.unreadNotifications(), refetchInterval: 60_000 });
  const { refetch } = unread;
  useEffect(() => {
    void refetch();
  }, [pathname, refetch]);
  const count = unread.data?.count ?? 0;
  return (
    <NavLink to="/notifications" className="nav-link">
      Notifications
      {count > 0 ? (
        <span className="badge" data-testid="unread-badge" aria-label={`${count} unread`}>
          {count >= 100 ? '99+' : count}
        </span>
      ) : null}
    </NavLink>
  );
}
