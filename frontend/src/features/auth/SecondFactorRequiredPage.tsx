/**
 * Shown instead of the portal when the account's role requires a second
 * factor and it has none (docs/protocol.md "Second factors", ASVS 6.3.2): the
 * session may only enrol one, so this page offers nothing else. Once one is
 * enrolled, the session's token is refreshed into a full one.
 */
import { SecurityKeysCard } from '../account/SecurityKeysCard.js';
import { TotpCard } from '../account/TotpCard.js';
import { Alert } from '../../ui/Alert.js';
import { useSession } from './session.js';

export function SecondFactorRequiredPage() {
  const { secondFactorEnrolled } = useSession();
  return (
    <>
      <h1>Set up a second factor</h1>
      <Alert tone="info">
        Your role requires a second factor for signing in. Set up an authenticator app or a security key to continue; until then, nothing else opens.
      </Alert>
      <TotpCard onEnrolled={secondFactorEnrolled} />
      <SecurityKeysCard onEnrolled={secondFactorEnrolled} />
    </>
  );
}
