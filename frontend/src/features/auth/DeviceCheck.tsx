import { Alert } from '../../ui/Alert.js';

/**
 * While the browser does the proof of work the API asked for (docs/protocol.md
 * "Proof of work"): what is happening, and why only this browser waits.
 */
export function DeviceCheck({ seconds }: { seconds: number }) {
  return (
    <Alert tone="info">
      <strong data-testid="device-check">Checking this device… {seconds} s</strong>
      <br />
      There were several failed attempts on this account, so a browser it has not seen before does a short check first (a few seconds). A browser you have
      signed in with before skips it.
    </Alert>
  );
}
