/**
 * The audit area of the API (the trail, its head, its export, the names of its people, and the
 * notifications derived from it), typed by the contract, and its query keys.
 */
import { ROUTES, type AccessReportQuery, type FhirSearchQuery, type AuditAccountsQuery, type AuditAccountsSearchRequest, type AuditExportQuery, type AuditPeopleQuery, type AuditQuery, type NotificationQuery, type NotificationSettings } from '@phr/shared-types';
import type { ApiClient } from './client.js';

export function auditApi(client: ApiClient) {
  return {
    list: (query: AuditQuery) => client.call(ROUTES.listAudit, { query }),
    head: () => client.call(ROUTES.auditHead),
    export: (query: AuditExportQuery) => client.call(ROUTES.exportAudit, { query }),
    people: (query: AuditPeopleQuery) => client.call(ROUTES.auditPeople, { query }),
    accounts: (query: AuditAccountsQuery) => client.call(ROUTES.auditAccounts, { query }),
    searchAccounts: (body: AuditAccountsSearchRequest) => client.call(ROUTES.searchAuditAccounts, { body }),
    accessSummary: () => client.call(ROUTES.accessSummary),
    accessReport: (query: AccessReportQuery) => client.call(ROUTES.accessReport, { query }),
    fhirAuditEvents: (query: FhirSearchQuery) => client.call(ROUTES.fhirAuditEvents, { query }),
    fhirConsents: (query: FhirSearchQuery) => client.call(ROUTES.fhirConsents, { query }),
    notifications: (query: NotificationQuery) => client.call(ROUTES.listNotifications, { query }),
    unreadNotifications: () => client.call(ROUTES.unreadNotifications),
    markNotificationsRead: (upToSeq: number) => client.call(ROUTES.markNotificationsRead, { body: { upToSeq } }),
    notificationSettings: () => client.call(ROUTES.notificationSettings),
    updateNotificationSettings: (settings: NotificationSettings) => client.call(ROUTES.updateNotificationSettings, { body: settings }),
  };
}

export type AuditApi = ReturnType<typeof auditApi>;

/**
 * Query keys of the audit area; every key starts with `all`. Nearly every change writes
 * to the trail, so mutations invalidate `all` (see invalidate.ts).
 */
export const auditKeys = {
  all: ['audit'] as const,
  trail: (query: AuditQuery, pages: number) => [...auditKeys.all, 'trail', query, pages] as const,
  /** The own trail's hash chain, verified in the browser. */
  chain: () => [...auditKeys.all, 'chain'] as const,
  /** The own rows a page of the trail shows, judged against the chain verified; `fetchedAt` of both, so a refetch judges again. */
  shownRows: (query: AuditQuery, pages: number, fetchedAt: readonly number[]) => [...auditKeys.all, 'chain', 'shown', query, pages, ...fetchedAt] as const,
  /** Names of the people of a trail (a subject's, or the ids asked for). */
  people: (query: AuditPeopleQuery) => [...auditKeys.all, 'people', query] as const,
  /** Auditors: every account, the pages fetched so far (for "whose trail"). */
  /** An auditor's pages of accounts, or of those a search found: its words stay in this key, in memory, and go to the server in a body. */
  accounts: (words?: string) => (words ? ([...auditKeys.all, 'accounts', 'search', words] as const) : ([...auditKeys.all, 'accounts'] as const)),
  accessSummary: () => [...auditKeys.all, 'access-summary'] as const,
  /** Under `all`: every change that writes to the trail can add one. */
  notifications: () => [...auditKeys.all, 'notifications'] as const,
  unreadNotifications: () => [...auditKeys.all, 'notifications', 'unread'] as const,
  notificationSettings: () => [...auditKeys.all, 'notifications', 'settings'] as const,
  /** The notifications shown, judged against the chain verified; `fetchedAt` of both, so a refetch judges again. */
  shownNotifications: (fetchedAt: readonly number[]) => [...auditKeys.all, 'notifications', 'shown', ...fetchedAt] as const,
};
