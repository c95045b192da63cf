/**
 * FHIR R4 downloads (docs/protocol.md "FHIR exports"): the trail as AuditEvent resources and
 * the consents as Consent resources, every page fetched and saved as one collection Bundle.
 */
import { useMutation } from '@tanstack/react-query';
import type { FhirAuditEvent, FhirBundle, FhirConsent, FhirSearchQuery } from '@phr/shared-types';
import { describeError } from '../../api/api-error.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { useSession } from '../auth/session.js';
import { saveFile } from '../records/open-record.js';

type FhirType = 'AuditEvent' | 'Consent';

/** The query of a `next` link: the server's own parameters, taken from its URL. */
function queryOfLink(url: string): FhirSearchQuery {
  const params = new URL(url).searchParams;
  return { patient: params.get('patient') ?? undefined, _count: params.has('_count') ? Number(params.get('_count')) : undefined, cursor: params.get('cursor') ?? undefined };
}

export function FhirExportButtons({ patient }: { patient?: string }) {
  const { audit } = useSession();
  const downloading = useMutation({
    mutationFn: async (type: FhirType) => {
      const entries: Array<{ fullUrl: string; resource: FhirAuditEvent | FhirConsent }> = [];
      let query: FhirSearchQuery | null = { patient, _count: 500 };
      while (query) {
        const page: FhirBundle<FhirAuditEvent | FhirConsent> = type === 'AuditEvent' ? await audit.fhirAuditEvents(query) : await audit.fhirConsents(query);
        entries.push(...page.entry.map(({ fullUrl, resource }) => ({ fullUrl, resource })));
        const next = page.link.find((link) => link.relation === 'next');
        query = next ? queryOfLink(next.url) : null;
      }
      const bundle = { resourceType: 'Bundle', type: 'collection', timestamp: new Date().toISOString(), entry: entries };
      saveFile(new Blob([JSON.stringify(bundle, null, 2)], { type: 'application/fhir+json' }), `fhir-${type}.json`);
    },
  });
  return (
    <>
      <Button type="button" variant="secondary" isBusy={downloading.isPending && downloading.variables === 'AuditEvent'} onClick={() => downloading.mutate('AuditEvent')}>
        Download FHIR AuditEvents
      </Button>
      <Button type="button" variant="secondary" isBusy={downloading.isPending && downloading.variables === 'Consent'} onClick={() => downloading.mutate('Consent')}>
        Download FHIR Consents
      </Button>
      {downloading.error ? <Alert tone="error">{describeError(downloading.error)}</Alert> : null}
    </>
  );
}
