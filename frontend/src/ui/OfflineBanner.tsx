/** Says so while the browser is offline: uploads wait and retry, and nothing can be opened meanwhile. */
import { useSyncExternalStore } from 'react';

function subscribe(onChange: () => void): () => void {
  window.addEventListener('online', onChange);
  window.addEventListener('offline', onChange);
  return () => {
    window.removeEventListener('online', onChange);
    window.removeEventListener('offline', onChange);
  };
}

export function OfflineBanner() {
  const isOnline = useSyncExternalStore(subscribe, () => navigator.onLine);
  if (isOnline) return null;
  return (
    <div className="alert alert-error" role="alert" data-testid="offline-banner">
      You are offline. Uploads and downloads wait until the connection is back; nothing you chose is lost.
    </div>
  );
}
