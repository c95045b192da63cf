import type { ReactElement } from 'react';
import type { Role } from '@phr/shared-types';
import { Navigate, NavLink, Route, Routes, useLocation, useNavigate } from 'react-router-dom';
import { AccountPage } from './features/account/AccountPage.js';
import { SecurityNotice } from './features/account/SecurityNotice.js';
import { homeFor } from './features/auth/home.js';
import { LockScreen } from './features/auth/LockScreen.js';
import { LoginPage } from './features/auth/LoginPage.js';
import { RecoverPage } from './features/auth/RecoverPage.js';
import { RecoveryCodePage } from './features/auth/RecoveryCodePage.js';
import { RegisterPage } from './features/auth/RegisterPage.js';
import { SecondFactorRequiredPage } from './features/auth/SecondFactorRequiredPage.js';
import { useSession } from './features/auth/session.js';
import { RecordsPage } from './features/records/RecordsPage.js';
import { ApiAccessPage } from './features/audit/ApiAccessPage.js';
import { AuditPage } from './features/audit/AuditPage.js';
import { ClinicianStandingNotice } from './features/clinicians/ClinicianStandingNotice.js';
import { CliniciansPage } from './features/clinicians/CliniciansPage.js';
import { BreakGlassPage } from './features/emergency/BreakGlassPage.js';
import { EmergencyPage } from './features/emergency/EmergencyPage.js';
import { EmergencyReviewsPage } from './features/emergency/EmergencyReviewsPage.js';
import { NotificationsLink } from './features/notifications/NotificationsLink.js';
import { NotificationsPage } from './features/notifications/NotificationsPage.js';
import { ConsentsPage } from './features/sharing/ConsentsPage.js';
import { TrustedContactsPage } from './features/trusted-contacts/TrustedContactsPage.js';
import { KeyChanges } from './features/sharing/KeyChanges.js';
import { SharedWithMePage } from './features/sharing/SharedWithMePage.js';
import { TrustAlerts } from './features/trust/TrustAlerts.js';
import { Button } from './ui/Button.js';
import { Layout } from './ui/Layout.js';

export function App() {
  const { user, pendingRecoveryCode, lockedEmail, mustEnrolSecondFactor } = useSession();
  const { pathname } = useLocation();
  const signedIn = user !== null;
  // A reload or a new tab of a browser that holds a session: the page waits, where it is, for the password.
  if (!signedIn && lockedEmail && !OPEN_WHILE_LOCKED.includes(pathname)) {
    return (
      <Layout nav={null}>
        <LockScreen email={lockedEmail} />
      </Layout>
    );
  }
  // A role that requires a second factor, signed in without one: only its enrolment opens (the API refuses the rest).
  if (signedIn && mustEnrolSecondFactor && !pendingRecoveryCode) {
    return (
      <Layout nav={<SignOutOnly />}>
        <SecondFactorRequiredPage />
      </Layout>
    );
  }
  /** A page for one role; others go to their account page. */
  const forRole = (role: Role, page: ReactElement): ReactElement => {
    if (!signedIn) return <Navigate to="/login" replace />;
    return guardRecovery(pendingRecoveryCode, user.role === role ? page : <Navigate to="/account" replace />);
  };
  return (
    <Layout nav={signedIn ? <SignedInNav /> : null}>
      {signedIn ? <TrustAlerts /> : null}
      {signedIn ? <SecurityNotice /> : null}
      {user?.role === 'doctor' && !pendingRecoveryCode ? <ClinicianStandingNotice /> : null}
      {user?.role === 'patient' && !pendingRecoveryCode ? <KeyChanges /> : null}
      <Routes>
        <Route path="/login" element={signedIn && !pendingRecoveryCode ? <Navigate to={homeFor(user.role)} replace /> : <LoginPage />} />
        <Route path="/register" element={<RegisterPage />} />
        <Route path="/recover" element={<RecoverPage />} />
        <Route path="/recovery-code" element={signedIn ? <RecoveryCodePage /> : <Navigate to="/login" replace />} />
        <Route path="/account/*" element={signedIn ? guardRecovery(pendingRecoveryCode, <AccountPage />) : <Navigate to="/login" replace />} />
        <Route path="/records" element={forRole('patient', <RecordsPage />)} />
        <Route path="/consents" element={forRole('patient', <ConsentsPage />)} />
        <Route path="/trusted-contacts" element={forRole('patient', <TrustedContactsPage />)} />
        <Route path="/shared" element={forRole('doctor', <SharedWithMePage />)} />
        <Route path="/emergency" element={forRole('patient', <EmergencyPage />)} />
        <Route path="/break-glass" element={forRole('doctor', <BreakGlassPage />)} />
        <Route path="/emergency-reviews" element={forRole('auditor', <EmergencyReviewsPage />)} />
        <Route path="/clinicians" element={forRole('operator', <CliniciansPage />)} />
        <Route path="/api-access" element={forRole('auditor', <ApiAccessPage />)} />
        <Route path="/notifications" element={signedIn ? guardRecovery(pendingRecoveryCode, user.role === 'patient' || user.role === 'doctor' ? <NotificationsPage /> : <Navigate to="/account" replace />) : <Navigate to="/login" replace />} />
        <Route path="/audit" element={signedIn ? guardRecovery(pendingRecoveryCode, <AuditPage />) : <Navigate to="/login" replace />} />
        <Route path="*" element={<Navigate to={signedIn ? homeFor(user.role) : '/login'} replace />} />
      </Routes>
    </Layout>
  );
}

/** Pages a locked browser still opens: recovery (a forgotten password) and registration. */
const OPEN_WHILE_LOCKED = ['/recover', '/register'];

/** Nothing else opens until a fresh recovery code has been confirmed. */
function guardRecovery(pendingRecoveryCode: string | null, page: ReactElement): ReactElement {
  return pendingRecoveryCode ? <Navigate to="/recovery-code" replace /> : page;
}

/** Ends the session and goes to the sign-in page. */
function SignOutButton() {
  const { end } = useSession();
  const navigate = useNavigate();
  return (
    <Button
      type="button"
      variant="secondary"
      onClick={() => {
        void end().then(() => navigate('/login'));
      }}
    >
      Sign out
    </Button>
  );
}

function SignOutOnly() {
  return (
    <div className="nav-items">
      <SignOutButton />
    </div>
  );
}

function SignedInNav() {
  const { user, lock } = useSession();
  return (
    <div className="nav-items">
      {user?.role === 'patient' ? (
        <>
          <NavLink to="/records" className="nav-link">
            Records
          </NavLink>
          <NavLink to="/consents" className="nav-link">
            Consents
          </NavLink>
          <NavLink to="/trusted-contacts" className="nav-link">
            Trusted contacts
          </NavLink>
          <NavLink to="/emergency" className="nav-link">
            Emergency access
          </NavLink>
        </>
      ) : null}
      {user?.role === 'doctor' ? (
        <>
          <NavLink to="/shared" className="nav-link">
            Shared with me
          </NavLink>
          <NavLink to="/break-glass" className="nav-link">
            Break the glass
          </NavLink>
        </>
      ) : null}
      {user?.role === 'operator' ? (
        <NavLink to="/clinicians" className="nav-link">
          Clinicians
        </NavLink>
      ) : null}
      <NavLink to="/audit" className="nav-link">
        {user?.role === 'doctor' ? 'Access history' : 'Audit trail'}
      </NavLink>
      {user?.role === 'auditor' ? (
        <>
          <NavLink to="/api-access" className="nav-link">
            API access
          </NavLink>
          <NavLink to="/emergency-reviews" className="nav-link">
            Emergency reviews
          </NavLink>
        </>
      ) : null}
      {user?.role === 'patient' || user?.role === 'doctor' ? <NotificationsLink /> : null}
      <NavLink to="/account" className="nav-link">
        Account
      </NavLink>
      <span className="muted">
        {user?.displayName} ({user?.role})
      </span>
      <Button type="button" variant="secondary" onClick={() => void lock()}>
        Lock
      </Button>
      <SignOutButton />
    </div>
  );
}
