/**
 * The patient's access report (accounting of disclosures, docs/protocol.md "Access report"):
 * a period of at most six years, then the report as CSV or PDF, made in this browser from rows
 * checked against the verified trail, with the titles decrypted here.
 */
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { ACCESS_REPORT_MAX_MS, ACCESS_REPORT_MAX_YEARS } from '@phr/shared-types';
import { describeError } from '../../api/api-error.js';
import { Alert } from '../../ui/Alert.js';
import { Button } from '../../ui/Button.js';
import { useSession } from '../auth/session.js';
import { saveFile } from '../records/open-record.js';
import { accessReportCsv } from './access-report-csv.js';
import { accessReportPdf } from './access-report-pdf.js';
import { fetchAccessReportRows } from './access-report-rows.js';
import { recordTitlesOf } from './record-titles.js';

type ReportFormat = 'csv' | 'pdf';

/** A date input's value (YYYY-MM-DD) of a day `yearsBack` years before today. */
function dayInput(yearsBack: number): string {
  const day = new Date();
  day.setFullYear(day.getFullYear() - yearsBack);
  return `${day.getFullYear()}-${String(day.getMonth() + 1).padStart(2, '0')}-${String(day.getDate()).padStart(2, '0')}`;
}

/** The period as the API takes it: from the start of the first day to the start of the day after the last, local time. */
function periodOf(fromDay: string, toDay: string): { from: string; to: string } {
  const to = new Date(`${toDay}T00:00:00`);
  to.setDate(to.getDate() + 1);
  return { from: new Date(`${fromDay}T00:00:00`).toISOString(), to: to.toISOString() };
}

export function AccessReportPanel() {
  const { user, audit, records, vault } = useSession();
  const [fromDay, setFromDay] = useState(dayInput(1));
  const [toDay, setToDay] = useState(dayInput(0));
  const period = fromDay && toDay ? periodOf(fromDay, toDay) : null;
  const span = period ? Date.parse(period.to) - Date.parse(period.from) : 0;
  const periodProblem = !period ? 'Choose both days.' : span <= 0 ? 'The last day must not be before the first.' : span > ACCESS_REPORT_MAX_MS ? `A report covers at most ${ACCESS_REPORT_MAX_YEARS} years.` : null;
  const making = useMutation({
    mutationFn: async (format: ReportFormat) => {
      if (!period || !user) return;
      const rows = await fetchAccessReportRows(audit, user.id, period.from, period.to, (ids) => recordTitlesOf({ records, vault }, user, ids));
      const name = `access-report-${fromDay}-${toDay}.${format}`;
      if (format === 'csv') {
        saveFile(new Blob([accessReportCsv(rows)], { type: 'text/csv' }), name);
      } else {
        const pdf = await accessReportPdf({ patientName: user.displayName, from: fromDay, to: toDay, generatedAt: new Date().toISOString() }, rows);
        saveFile(new Blob([pdf.slice().buffer], { type: 'application/pdf' }), name);
      }
    },
  });

  return (
    <section className="stack" aria-labelledby="access-report-title">
      <h2 id="access-report-title">Access report</h2>
      <p className="muted">
        Who other than you opened your records, when and why (consent, emergency, trusted contact), over up to {ACCESS_REPORT_MAX_YEARS} years. The report is made in this browser, with
        your record titles, from entries checked against your verified trail.
      </p>
      <div className="row filters">
        <label>
          First day
          <input type="date" value={fromDay} onChange={(event) => setFromDay(event.target.value)} />
        </label>
        <label>
          Last day
          <input type="date" value={toDay} onChange={(event) => setToDay(event.target.value)} />
        </label>
        <Button type="button" variant="secondary" disabled={periodProblem !== null} isBusy={making.isPending && making.variables === 'csv'} onClick={() => making.mutate('csv')}>
          Download access report (CSV)
        </Button>
        <Button type="button" variant="secondary" disabled={periodProblem !== null} isBusy={making.isPending && making.variables === 'pdf'} onClick={() => making.mutate('pdf')}>
          Download access report (PDF)
        </Button>
      </div>
      {periodProblem ? <Alert tone="info">{periodProblem}</Alert> : null}
      {making.error ? <Alert tone="error">{describeError(making.error)}</Alert> : null}
    </section>
  );
}
