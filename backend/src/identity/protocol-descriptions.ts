/**
 * What each key field of the API holds, for the OpenAPI document, in the words
 * and labels of docs/protocol.md (whose test vectors pin them). The HKDF labels
 * come from the shared constants the portal derives with.
 */
import { HKDF_INFO_AUTH, HKDF_INFO_KEK, HKDF_INFO_RECOVERY_AUTH, HKDF_INFO_RECOVERY_KEK } from '@phr/shared-types';

const SEALED = 'Sealed blob, base64url: version byte 0x01 ‖ 12-byte IV ‖ AES-256-GCM ciphertext ‖ 16-byte tag';

export const KEY_FIELDS = {
  authKey: `HKDF-SHA256(masterKey, salt empty, info "${HKDF_INFO_AUTH}"), 32 bytes, base64url; masterKey = PBKDF2-HMAC-SHA256(NFKC(password), kdf.salt, kdf.iterations). The password never leaves the browser (docs/protocol.md "Keys from the password")`,
  recoveryAuthKey: `HKDF-SHA256(the recovery code's 20 bytes, salt empty, info "${HKDF_INFO_RECOVERY_AUTH}"), 32 bytes, base64url; stored only as argon2id`,
  wrappedAccountKey: `${SEALED}: the 32-byte account key under the KEK (HKDF-SHA256(masterKey, info "${HKDF_INFO_KEK}")), AAD "phr/v1/account-key|<kdf.algorithm>|<kdf.iterations>|<kdf.salt>"`,
  wrappedPrivateKey: `${SEALED}: the PKCS#8 private key under the account key, AAD "phr/v1/private-key"`,
  recoveryWrappedAccountKey: `${SEALED}: the account key under the recovery KEK (HKDF-SHA256(code bytes, info "${HKDF_INFO_RECOVERY_KEK}")), AAD "phr/v1/recovery-account-key"`,
  publicKey: 'RSA-OAEP (SHA-256) public key, SPKI DER, base64url; a modulus of exactly 3072 bits and the exponent 65537',
  ownerWrap: `${SEALED}: the 32-byte file key under the account key, AAD "phr/v1/file-key|<recordId>|<ownerId>"`,
  metadata: `${SEALED}: the record metadata document (UTF-8 JSON, docs/protocol.md "Record metadata") under the file key, AAD "phr/v1/metadata|<recordId>"`,
  folderName: `${SEALED}: the folder name (UTF-8) under the account key, AAD "phr/v1/folder-name|<ownerId>"`,
  doctorWrap: 'RSA-OAEP-SHA256(doctor public key, 32-byte file key) with label "phr/v1/doctor-wrap|<recordId>|<doctorId>|<fingerprint>", 384 bytes, base64url',
  folderLabelWrap: 'RSA-OAEP-SHA256(doctor public key, 32-byte label key) with label "phr/v1/folder-label-key|<folderId>|<doctorId>|<fingerprint>", 384 bytes, base64url',
  folderLabelName: `${SEALED}: the folder name (UTF-8) under the label key, AAD "phr/v1/folder-label|<folderId>|<doctorId>"`,
} as const;
