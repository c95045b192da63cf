import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, ValidateNested } from 'class-validator';
import {
  TRUSTED_CONTACT_MAX_WAIT_DAYS,
  TRUSTED_CONTACT_MIN_WAIT_DAYS,
  TRUSTED_CONTACT_SCOPES,
  TRUSTED_CONTACT_STATUSES,
  type ContactCandidate,
  type DoctorWrap,
  type ContactCandidateRequest,
  type NameTrustedContactRequest,
  type RewrapTrustedContactRequest,
  type TrustedContact,
  type TrustedContactList,
  type TrustedContactScope,
  type TrustedContactStatus,
  type UpdateTrustedContactRequest,
} from '@phr/shared-types';
import type { Exact } from '../../common/exact.js';
import { IsId } from '../../common/ids.js';
import { IsAccountEmail } from '../../identity/validators.js';
import { IsDoctorWrap } from '../../contract/doctor-wrap.js';
import { KEY_FIELDS } from '../../identity/protocol-descriptions.js';

/** Wraps one naming may carry: as many as one consent (every record of a patient). */
export const MAX_WRAPS_PER_CONTACT = 10_000;

/** The body of POST /trusted-contacts at its largest, sized as POST /consents' (about 575 bytes of JSON per wrap). */
export const CONTACT_BODY_LIMIT_BYTES = MAX_WRAPS_PER_CONTACT * 640 + 64 * 1024;

/** One record's file key wrapped for the contact's key (RSA-OAEP, the recipient wrap of DESIGN 4.3). */
export class ContactWrapDto implements DoctorWrap {
  @ApiProperty({ format: 'uuid' })
  @IsId('4')
  recordId: string;

  @IsDoctorWrap(KEY_FIELDS.doctorWrap)
  wrap: string;
}
true satisfies Exact<ContactWrapDto, DoctorWrap>;

const FINGERPRINT_DESCRIPTION = 'Fingerprint (SHA-256 of the SPKI, lower-case hex) of the contact key the wraps were made for: must be the contact’s current key (else 409 KEY_CHANGED)';

const IsWaitDays = (): PropertyDecorator => {
  const decorators = [
    ApiProperty({ minimum: TRUSTED_CONTACT_MIN_WAIT_DAYS, maximum: TRUSTED_CONTACT_MAX_WAIT_DAYS, description: 'Whole days between the contact’s request and the release' }),
    IsInt(),
    Min(TRUSTED_CONTACT_MIN_WAIT_DAYS),
    Max(TRUSTED_CONTACT_MAX_WAIT_DAYS),
  ];
  return (target, property) => decorators.forEach((decorate) => decorate(target, property));
};

const IsFingerprint = (): PropertyDecorator => {
  const decorators = [ApiProperty({ pattern: '^[0-9a-f]{64}$', description: FINGERPRINT_DESCRIPTION }), IsString(), Matches(/^[0-9a-f]{64}$/, { message: 'fingerprint must be 64 lower-case hex digits' })];
  return (target, property) => decorators.forEach((decorate) => decorate(target, property));
};

const IsContactWraps = (description: string): PropertyDecorator => {
  const decorators = [ApiProperty({ type: [ContactWrapDto], description }), IsArray(), ArrayMaxSize(MAX_WRAPS_PER_CONTACT), ValidateNested({ each: true }), Type(() => ContactWrapDto)];
  return (target, property) => decorators.forEach((decorate) => decorate(target, property));
};

export class ContactCandidateRequestDto implements ContactCandidateRequest {
  @IsAccountEmail()
  email: string;
}
true satisfies Exact<ContactCandidateRequestDto, ContactCandidateRequest>;

export class ContactCandidateDto implements ContactCandidate {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() displayName: string;
  @ApiProperty({ description: 'SPKI, base64url: prove it in the key directory and compare its fingerprint with the person before wrapping for it' }) publicKey: string;
  @ApiProperty({ description: 'SHA-256 of the SPKI, hex' }) fingerprint: string;
}
true satisfies Exact<ContactCandidateDto, ContactCandidate>;

export class NameTrustedContactDto implements NameTrustedContactRequest {
  @ApiProperty({ format: 'uuid', description: 'A patient account (GET /trusted-contacts/candidates)' })
  @IsId('4')
  contactId: string;

  @ApiProperty({ type: String, format: 'email', description: 'The email that found the contact (POST /trusted-contacts/candidates): it must name the account contactId names (400 naming email otherwise)' })
  @IsAccountEmail()
  email: string;

  @ApiProperty({ enum: TRUSTED_CONTACT_SCOPES })
  @IsIn(TRUSTED_CONTACT_SCOPES)
  scope: TrustedContactScope;

  @ApiPropertyOptional({ format: 'uuid', description: 'With scope "folder" only' })
  @IsOptional()
  @IsId('4')
  folderId?: string;

  @IsWaitDays()
  waitDays: number;

  @IsFingerprint()
  fingerprint: string;

  @IsContactWraps('One RSA-OAEP wrap for every record in scope, for the contact’s key, no more')
  wraps: ContactWrapDto[];
}
true satisfies Exact<NameTrustedContactDto, NameTrustedContactRequest>;

export class UpdateTrustedContactDto implements UpdateTrustedContactRequest {
  @IsWaitDays()
  waitDays: number;
}
true satisfies Exact<UpdateTrustedContactDto, UpdateTrustedContactRequest>;

export class RewrapTrustedContactDto implements RewrapTrustedContactRequest {
  @IsFingerprint()
  fingerprint: string;

  @IsContactWraps('Every record in scope, each once, wrapped again for the contact’s current key')
  wraps: ContactWrapDto[];
}
true satisfies Exact<RewrapTrustedContactDto, RewrapTrustedContactRequest>;

export class TrustedContactDto implements TrustedContact {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) patientId: string;
  @ApiProperty() patientName: string;
  @ApiProperty({ format: 'uuid' }) contactId: string;
  @ApiProperty() contactName: string;
  @ApiProperty({ enum: TRUSTED_CONTACT_SCOPES }) scope: TrustedContactScope;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) folderId: string | null;
  @ApiProperty({ minimum: TRUSTED_CONTACT_MIN_WAIT_DAYS, maximum: TRUSTED_CONTACT_MAX_WAIT_DAYS }) waitDays: number;
  @ApiProperty({ enum: TRUSTED_CONTACT_STATUSES, description: 'standby: nothing asked; waiting: asked, the patient may refuse until releasesAt; released: the contact reads' })
  status: TrustedContactStatus;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) requestedAt: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'requestedAt + 24 × waitDays hours: the wraps are released from then unless the patient refuses' }) releasesAt: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) refusedAt: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ description: 'The wraps were made for a key the contact has since replaced: the patient re-makes them (PUT /trusted-contacts/:id/wraps)' })
  isWrapStale: boolean;
}
true satisfies Exact<TrustedContactDto, TrustedContact>;

export class TrustedContactListDto implements TrustedContactList {
  @ApiProperty({ type: [TrustedContactDto] }) items: TrustedContactDto[];
}
true satisfies Exact<TrustedContactListDto, TrustedContactList>;
