import { Navigate, NavLink, Route, Routes, useLocation } from 'react-router-dom';
import type { Me } from '@phr/shared-types';
import { useSession } from '../auth/session.js';
import { ExportPanel } from '../export/ExportPanel.js';
import { ChangePasswordForm } from './ChangePasswordForm.js';
import { DeleteAccountForm } from './DeleteAccountForm.js';
import { DetailsForm } from './DetailsForm.js';
import { KeyRotationCard } from './KeyRotationCard.js';
import { KeyPairCard } from './KeyPairCard.js';
import { ProfileCard } from './ProfileCard.js';
import { SecurityKeysCard } from './SecurityKeysCard.js';
import { SessionsCard } from './SessionsCard.js';
import { TotpCard } from './TotpCard.js';

/**
 * The account, as a page per part (issue 15: no 3,300 px page): who you are at /account, how you
 * sign in at /account/security, your keys at /account/keys, your data at /account/data.
 */
export function AccountPage() {
  const { user } = useSession();
  const { pathname, hash } = useLocation();
  if (!user) return <Navigate to="/login" replace />;
  // Links from before the split pointed at the one page's sections (/account#security): each lands on its own page now.
  const oldSection = pathname === '/account' ? sectionOfOldLink(hash) : null;
  if (oldSection) return <Navigate to={oldSection} replace />;
  // Auditors and operators hold no records: nothing for an account-key rotation to re-seal, nothing to export; their accounts end with the operator's step.
  const isStaff = user.role === 'auditor' || user.role === 'operator';
  return (
    <>
      <AccountNav isStaff={isStaff} />
      <div className="account-section">
        <Routes>
          <Route index element={<ProfilePage user={user} />} />
          <Route path="security" element={<SecurityPage />} />
          <Route path="keys" element={<KeysPage isStaff={isStaff} />} />
          <Route path="data" element={isStaff ? <Navigate to="/account" replace /> : <DataPage role={user.role} />} />
          <Route path="*" element={<Navigate to="/account" replace />} />
        </Routes>
      </div>
    </>
  );
}

function ProfilePage({ user }: { user: Me }) {
  return (
    <>
      <ProfileCard user={user} />
      <DetailsForm key={user.id} />
    </>
  );
}

function SecurityPage() {
  return (
    <>
      <ChangePasswordForm />
      <TotpCard />
      <SecurityKeysCard />
      <SessionsCard />
    </>
  );
}

function KeysPage({ isStaff }: { isStaff: boolean }) {
  return (
    <>
      {isStaff ? null : <KeyRotationCard />}
      <KeyPairCard />
    </>
  );
}

function DataPage({ role }: { role: Me['role'] }) {
  return (
    <>
      {role === 'patient' ? <ExportPanel /> : null}
      <DeleteAccountForm />
    </>
  );
}

/**
 * The account's pages, as links; the current one is marked (aria-current="page", from NavLink).
 * No label says "account": the main navigation's Account link keeps its name to itself.
 */
function AccountNav({ isStaff }: { isStaff: boolean }) {
  return (
    <nav className="section-nav" aria-label="Account sections">
      {accountSections(isStaff).map((section) => (
        <NavLink key={section.path} to={section.path} end className="nav-link">
          {section.label}
        </NavLink>
      ))}
    </nav>
  );
}

function accountSections(isStaff: boolean): Array<{ path: string; label: string }> {
  return [
    { path: '/account', label: 'Profile' },
    { path: '/account/security', label: 'Password, security keys and sessions' },
    { path: '/account/keys', label: 'Encryption keys' },
    ...(isStaff ? [] : [{ path: '/account/data', label: 'Your data' }]),
  ];
}

/** The one page's section anchors and their pages now (#profile is /account itself). */
const OLD_SECTION_LINKS: ReadonlyMap<string, string> = new Map([
  ['#security', '/account/security'],
  ['#keys', '/account/keys'],
  ['#data', '/account/data'],
]);

function sectionOfOldLink(hash: string): string | null {
  return OLD_SECTION_LINKS.get(hash) ?? null;
}
