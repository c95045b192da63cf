import { DOCTOR_WRAP_BYTES } from '@phr/shared-types';
import { base64UrlLength, IsBase64Url } from '../identity/validators.js';

/** A file key wrapped for a doctor's public key: checked alike where a consent is granted (consents/) and where a record is committed (records/). */
export const IsDoctorWrap = (description: string): PropertyDecorator =>
  IsBase64Url(base64UrlLength(DOCTOR_WRAP_BYTES), base64UrlLength(DOCTOR_WRAP_BYTES), description);
