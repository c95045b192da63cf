/**
 * Who may call each route of the contract. The route-access suite checks the
 * running API against this table, and fails when a route is missing from it.
 */
import type { Role, RouteName } from '@phr/shared-types';

export type Access = 'public' | readonly Role[];

export const ROUTE_ACCESS: Record<RouteName, Access> = {
  health: 'public',
  prelogin: 'public',
  register: 'public',
  registerAuditor: 'public',
  login: 'public',
  refresh: 'public',
  logout: 'public',
  recoveryKeys: 'public',
  recoveryReset: 'public',
  changePassword: ['patient', 'doctor', 'auditor'],
  me: ['patient', 'doctor', 'auditor'],
  // Auditors read metadata only; they have no business with keys (DESIGN 1).
  publicKey: ['patient', 'doctor'],
  // Records and folders belong to patients; doctors only read, through consents.
  presignUpload: ['patient'],
  commitRecord: ['patient'],
  listRecords: ['patient', 'doctor'],
  getRecord: ['patient', 'doctor'],
  deleteRecord: ['patient'],
  createFolder: ['patient'],
  listFolders: ['patient'],
  renameFolder: ['patient'],
  deleteFolder: ['patient'],
  searchDoctors: ['patient'],
  createConsent: ['patient'],
  listConsents: ['patient', 'doctor'],
  updateConsent: ['patient'],
  listAudit: ['patient', 'doctor', 'auditor'],
  exportAudit: ['patient', 'doctor', 'auditor'],
  auditHead: ['patient', 'doctor', 'auditor'],
};
